-- Migration: Foundation setup
-- Version: 001
-- Date: 2025-09-09
-- Author: Backend lead
-- Goal: Add candidates and assignments, remap consultants to junior/senior recruiters; no user lost
-- Lock-Timeout: 2s

-- Seed 000, phase 1. Creates the candidate entity without touching the v1.0 tables the
-- application still uses, and moves users to the v1.1 roles.
--
-- Role rule (the seed only says "junior or senior"): a consultant whose account was created
-- before 2023-09-09, two years before the cut-over, becomes senior_recruiter; every other
-- consultant becomes junior_recruiter; admins stay admins. In v1.0 data that is
-- 10 admins, 18 senior and 189 junior recruiters, the counts the seed reported.

-- Step: Reference views of the v1.0 tables
-- The checks of phases 2-7 compare the v1.1 tables with the v1.0 ones. Phase 6 renames the
-- old tables to *_backup_v1_0 and phase 5 renames prompts.created_by, so the checks read
-- them through these views: a view follows its table by identity, not by name, so the same
-- check works before and after the renames (and `pgstep verify` can re-run it any time).
-- The views also pin the v1.0 data: a later phase that tried to DROP one of these tables or
-- columns would fail instead of destroying what the rollback needs.
CREATE SCHEMA v1_0;
COMMENT ON SCHEMA v1_0 IS 'Read-only views of the v1.0 tables, for the v1.1 migration checks';

CREATE VIEW v1_0.file_uploads AS SELECT * FROM public.file_uploads;
CREATE VIEW v1_0.analysis_requests AS SELECT * FROM public.analysis_requests;
CREATE VIEW v1_0.analysis_results AS SELECT * FROM public.analysis_results;
CREATE VIEW v1_0.prompts AS SELECT * FROM public.prompts;
CREATE VIEW v1_0.prompt_history AS SELECT * FROM public.prompt_history;

-- Step: Core tables
CREATE TABLE candidates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    email VARCHAR(255) UNIQUE,
    phone VARCHAR(50),
    current_company VARCHAR(255),
    "current_role" VARCHAR(255),  -- CURRENT_ROLE is an SQL keyword: quoted
    years_experience INTEGER,
    status VARCHAR(20) DEFAULT 'active',
    created_by_user_id UUID REFERENCES users(id),
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE user_candidate_assignments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id),
    candidate_id UUID NOT NULL REFERENCES candidates(id),
    assignment_type VARCHAR(20) DEFAULT 'primary',
    assigned_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    unassigned_at TIMESTAMPTZ,
    assigned_by_user_id UUID REFERENCES users(id),
    unassigned_reason TEXT,
    is_active BOOLEAN DEFAULT true
);

-- The business rule "a candidate has one active primary recruiter" as a constraint, not
-- only a hope: a second active primary assignment is refused.
CREATE UNIQUE INDEX uca_one_active_primary
    ON user_candidate_assignments (candidate_id)
    WHERE is_active AND assignment_type = 'primary';

-- Step: Users to the v1.1 roles
ALTER TABLE users ADD COLUMN migration_v1_1_completed BOOLEAN DEFAULT false;

-- Swap the role constraint in one ALTER, so the table is never without one. NOT VALID skips
-- the scan while rows still say 'consultant'; every row the UPDATE writes is checked against
-- the new rule anyway, and VALIDATE below proves no old value is left. (Inside this phase's
-- transaction the ALTER's lock is held to COMMIT regardless; run separately, VALIDATE needs
-- only a SHARE UPDATE EXCLUSIVE lock that does not block the application's reads/writes.)
ALTER TABLE users
    DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check
        CHECK (role IN ('junior_recruiter', 'senior_recruiter', 'admin')) NOT VALID;

-- The v1.0 default 'consultant' would now violate the constraint on every new sign-up.
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'junior_recruiter';

-- updated_at is deliberately left alone: the rollback restores the rows byte for byte.
UPDATE users
SET role = CASE WHEN created_at < TIMESTAMPTZ '2023-09-09 00:00:00+00'
                THEN 'senior_recruiter' ELSE 'junior_recruiter' END,
    migration_v1_1_completed = true
WHERE role = 'consultant';

ALTER TABLE users VALIDATE CONSTRAINT users_role_check;

-- VERIFY
-- Check: no user lost
-- Expect: unchanged
SELECT count(*) FROM users;

-- Check: users per v1.0 role (recruiters counted as the consultants they were)
-- Expect: unchanged
SELECT CASE WHEN role = 'admin' THEN 'admin' ELSE 'consultant' END AS v1_0_role, count(*)
FROM users
GROUP BY 1
ORDER BY 1;

-- Check: user rows unchanged apart from role and the migration flag
-- Expect: unchanged
SELECT md5(string_agg(concat_ws('|', id, email, password_hash, full_name, is_active,
                                last_login_at, created_at, updated_at), ',' ORDER BY id))
FROM users;

-- Check: no consultant left
SELECT id, email FROM users WHERE role = 'consultant';

-- Check: role follows the seniority rule (senior = joined before 2023-09-09)
SELECT id, role, created_at
FROM users
WHERE role <> 'admin'
  AND role <> CASE WHEN created_at < TIMESTAMPTZ '2023-09-09 00:00:00+00'
                   THEN 'senior_recruiter' ELSE 'junior_recruiter' END;

-- Check: every remapped user is flagged, and no admin is
SELECT id, role, migration_v1_1_completed
FROM users
WHERE migration_v1_1_completed IS DISTINCT FROM (role <> 'admin');

-- Check: role constraint validated
-- Expect: true
SELECT convalidated
FROM pg_constraint
WHERE conrelid = 'public.users'::regclass AND conname = 'users_role_check';

-- Check: recruiters of both kinds exist
-- Expect: = 2
SELECT count(DISTINCT role) FROM users WHERE role IN ('junior_recruiter', 'senior_recruiter');

-- DOWN
-- Roles back first: consultant is what every recruiter was (admins were never changed).
-- Same constraint dance as UP, restoring the exact v1.0 definition.
ALTER TABLE users
    DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('consultant', 'admin')) NOT VALID;

UPDATE users
SET role = 'consultant'
WHERE role IN ('junior_recruiter', 'senior_recruiter');

ALTER TABLE users VALIDATE CONSTRAINT users_role_check;
ALTER TABLE users ALTER COLUMN role SET DEFAULT 'consultant';
ALTER TABLE users DROP COLUMN migration_v1_1_completed;

DROP TABLE IF EXISTS user_candidate_assignments;
DROP TABLE IF EXISTS candidates;

DROP VIEW IF EXISTS v1_0.prompt_history;
DROP VIEW IF EXISTS v1_0.prompts;
DROP VIEW IF EXISTS v1_0.analysis_results;
DROP VIEW IF EXISTS v1_0.analysis_requests;
DROP VIEW IF EXISTS v1_0.file_uploads;
DROP SCHEMA IF EXISTS v1_0;
