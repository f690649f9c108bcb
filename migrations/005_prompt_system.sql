-- Migration: Prompt system
-- Version: 005
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 001
-- Goal: Prompts belong to AI agents, not users; prompt history moves to usage history, authorship kept
-- Lock-Timeout: 2s

-- Seed 000, phase 5.
--
-- Defects fixed:
-- 1. The seed added agent_type but never set it: the three prompts the v1.1 agents use had
--    no agent. Each prompt is given the agent its name says (structure, appeal, else base).
-- 2. The seed dropped prompts.created_by: who wrote each prompt would be gone and the
--    rollback could not bring it back. The user relationship (the foreign key) is dropped
--    as planned; the column is renamed to created_by_backup_v1_0, like the tables phase 6
--    keeps as *_backup_v1_0, and can be dropped once v1.1 is proven.
-- 3. The seed labelled every history row 'base_agent' ("default assumption"); each row now
--    takes the agent of the prompt it belongs to.

-- Step: Agent type on prompts
-- NOT VALID, then VALIDATE after the backfill: the rows the UPDATE writes are checked
-- anyway, and VALIDATE proves the rest without the ACCESS EXCLUSIVE scan.
ALTER TABLE prompts ADD COLUMN agent_type VARCHAR(50);
ALTER TABLE prompts ADD CONSTRAINT prompts_agent_type_check
    CHECK (agent_type IN ('base_agent', 'structure_agent', 'appeal_agent')) NOT VALID;

UPDATE prompts
SET agent_type = CASE WHEN name LIKE '%structure%' THEN 'structure_agent'
                      WHEN name LIKE '%appeal%' THEN 'appeal_agent'
                      ELSE 'base_agent' END;

ALTER TABLE prompts VALIDATE CONSTRAINT prompts_agent_type_check;

-- Step: Remove the user relationship, keep the authorship
ALTER TABLE prompts DROP CONSTRAINT IF EXISTS prompts_created_by_fkey;
ALTER TABLE prompts RENAME COLUMN created_by TO created_by_backup_v1_0;
COMMENT ON COLUMN prompts.created_by_backup_v1_0 IS
    'v1.0 prompts.created_by, kept for rollback; not maintained by v1.1 (migration v1.1)';

-- Step: Prompt usage history
CREATE TABLE prompt_usage_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_id UUID NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    agent_name VARCHAR(50) NOT NULL,
    actual_prompt TEXT NOT NULL,
    variables_used JSONB,
    agent_response JSONB,
    tokens_used INTEGER,
    used_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    source_prompt_history_id UUID UNIQUE
);
COMMENT ON COLUMN prompt_usage_history.source_prompt_history_id IS
    'v1.0 prompt_history.id this row was migrated from (migration v1.1)';

-- The v1.0 prompt version goes into variables_used so nothing of the row is lost.
INSERT INTO prompt_usage_history (prompt_id, agent_name, actual_prompt, variables_used,
                                  used_at, source_prompt_history_id)
SELECT ph.prompt_id,
       p.agent_type,
       ph.prompt_content,
       jsonb_build_object('prompt_version', ph.version),
       ph.created_at,
       ph.id
FROM prompt_history ph
JOIN prompts p ON p.id = ph.prompt_id;

-- VERIFY
-- Check: no prompt lost
-- Expect: unchanged
SELECT count(*) FROM prompts;

-- Check: prompts and their authors unchanged (created_by, under either name)
-- Expect: unchanged
SELECT md5(string_agg(concat_ws('|', id, name, content, version, is_active, created_by,
                                created_at, updated_at), ',' ORDER BY id))
FROM v1_0.prompts;

-- Check: no prompt history row lost
-- Expect: unchanged
SELECT count(*) FROM v1_0.prompt_history;

-- Check: every prompt has an agent
SELECT id, name FROM prompts WHERE agent_type IS NULL;

-- Check: one prompt per agent
-- Expect: = 3
SELECT count(DISTINCT agent_type) FROM prompts;

-- Check: prompts no longer reference users
SELECT conname
FROM pg_constraint
WHERE conrelid = 'public.prompts'::regclass AND confrelid = 'public.users'::regclass;

-- Check: every prompt history row became exactly one usage row
SELECT ph.id, count(u.id) AS usage_rows
FROM v1_0.prompt_history ph
LEFT JOIN prompt_usage_history u ON u.source_prompt_history_id = ph.id
GROUP BY ph.id
HAVING count(u.id) <> 1;

-- Check: usage rows keep the prompt, text, version and time, under the prompt's agent
SELECT u.id
FROM prompt_usage_history u
JOIN v1_0.prompt_history ph ON ph.id = u.source_prompt_history_id
JOIN prompts p ON p.id = ph.prompt_id
WHERE (u.prompt_id, u.actual_prompt, u.used_at, u.agent_name, (u.variables_used->>'prompt_version')::int)
      IS DISTINCT FROM (ph.prompt_id, ph.prompt_content, ph.created_at, p.agent_type, ph.version);

-- DOWN
DROP TABLE IF EXISTS prompt_usage_history;

ALTER TABLE prompts RENAME COLUMN created_by_backup_v1_0 TO created_by;
COMMENT ON COLUMN prompts.created_by IS NULL;
ALTER TABLE prompts ADD CONSTRAINT prompts_created_by_fkey FOREIGN KEY (created_by)
    REFERENCES users(id) ON DELETE SET NULL;

ALTER TABLE prompts DROP CONSTRAINT IF EXISTS prompts_agent_type_check;
ALTER TABLE prompts DROP COLUMN IF EXISTS agent_type;
