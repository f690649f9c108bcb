-- Migration: Cleanup and optimisation
-- Version: 006
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 002, 003, 004, 005
-- Goal: Index the v1.1 tables without blocking writes, retire the v1.0 tables as *_backup_v1_0 with every row
-- Transaction: none
-- Lock-Timeout: 5s
-- Statement-Timeout: 30min

-- Seed 000, phase 6. Runs statement by statement: CREATE INDEX CONCURRENTLY cannot run in
-- a transaction, and it builds each index without blocking the writes the application
-- now sends to the v1.1 tables. IF NOT EXISTS makes a resumed phase skip what is done;
-- a build that fails leaves an INVALID index, which pgstep names - drop it and resume.
-- The renames come last: each is a single instant catalog change.

-- Step: Indexes on the v1.1 tables
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_candidates_created_by
    ON candidates (created_by_user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_assignments_user_active
    ON user_candidate_assignments (user_id, is_active);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_assignments_candidate_active
    ON user_candidate_assignments (candidate_id, is_active);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_resumes_candidate
    ON resumes (candidate_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_resumes_uploaded_by
    ON resumes (uploaded_by_user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_sections_resume_order
    ON resume_sections (resume_id, sequence_order);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_result
    ON review_feedback_items (review_result_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_feedback_section
    ON review_feedback_items (resume_section_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_requests_resume
    ON review_requests (resume_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_requests_user
    ON review_requests (requested_by_user_id);
-- Missing from the seed: the foreign key review_results -> review_requests (ON DELETE
-- CASCADE) would scan review_results for every deleted request without it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_review_results_request
    ON review_results (review_request_id);

-- Step: Retire the v1.0 tables (renamed, not dropped: the rollback and any audit need them)
ALTER TABLE file_uploads RENAME TO file_uploads_backup_v1_0;
ALTER TABLE analysis_requests RENAME TO analysis_requests_backup_v1_0;
ALTER TABLE analysis_results RENAME TO analysis_results_backup_v1_0;
ALTER TABLE prompt_history RENAME TO prompt_history_backup_v1_0;

-- VERIFY
-- Check: v1.0 rows kept, counted through the v1.0 views (valid under either table name)
-- Expect: unchanged
SELECT (SELECT count(*) FROM v1_0.file_uploads) AS file_uploads,
       (SELECT count(*) FROM v1_0.analysis_requests) AS analysis_requests,
       (SELECT count(*) FROM v1_0.analysis_results) AS analysis_results,
       (SELECT count(*) FROM v1_0.prompt_history) AS prompt_history;

-- Check: v1.0 contents kept
-- Expect: unchanged
SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.file_uploads t),
       (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.analysis_requests t),
       (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.analysis_results t),
       (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.prompt_history t);

-- Check: the v1.0 names are gone and the backups exist
-- Expect: true
SELECT to_regclass('public.file_uploads') IS NULL
   AND to_regclass('public.analysis_requests') IS NULL
   AND to_regclass('public.analysis_results') IS NULL
   AND to_regclass('public.prompt_history') IS NULL
   AND to_regclass('public.file_uploads_backup_v1_0') IS NOT NULL
   AND to_regclass('public.analysis_requests_backup_v1_0') IS NOT NULL
   AND to_regclass('public.analysis_results_backup_v1_0') IS NOT NULL
   AND to_regclass('public.prompt_history_backup_v1_0') IS NOT NULL;

-- Check: each backup holds the v1.0 rows (the views read the v1.0 tables by identity)
SELECT 'file_uploads_backup_v1_0' AS backup, b.n AS rows, v.n AS v1_0_rows
FROM (SELECT count(*) AS n FROM file_uploads_backup_v1_0) b,
     (SELECT count(*) AS n FROM v1_0.file_uploads) v
WHERE b.n <> v.n
UNION ALL
SELECT 'analysis_requests_backup_v1_0', b.n, v.n
FROM (SELECT count(*) AS n FROM analysis_requests_backup_v1_0) b,
     (SELECT count(*) AS n FROM v1_0.analysis_requests) v
WHERE b.n <> v.n
UNION ALL
SELECT 'analysis_results_backup_v1_0', b.n, v.n
FROM (SELECT count(*) AS n FROM analysis_results_backup_v1_0) b,
     (SELECT count(*) AS n FROM v1_0.analysis_results) v
WHERE b.n <> v.n
UNION ALL
SELECT 'prompt_history_backup_v1_0', b.n, v.n
FROM (SELECT count(*) AS n FROM prompt_history_backup_v1_0) b,
     (SELECT count(*) AS n FROM v1_0.prompt_history) v
WHERE b.n <> v.n;

-- Check: every backed-up upload is reachable as a resume
SELECT fu.id, fu.filename
FROM file_uploads_backup_v1_0 fu
LEFT JOIN resumes r ON r.source_file_upload_id = fu.id
WHERE r.id IS NULL;

-- Check: all eleven indexes built
-- Expect: = 11
SELECT count(*)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'public'::regnamespace
  AND c.relname IN ('idx_candidates_created_by', 'idx_assignments_user_active',
                    'idx_assignments_candidate_active', 'idx_resumes_candidate',
                    'idx_resumes_uploaded_by', 'idx_sections_resume_order',
                    'idx_feedback_result', 'idx_feedback_section',
                    'idx_review_requests_resume', 'idx_review_requests_user',
                    'idx_review_results_request')
  AND i.indisvalid AND i.indisready;

-- Check: no invalid index left by a concurrent build
SELECT i.indexrelid::regclass AS invalid_index
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid;

-- DOWN
-- One by one as well: names back first (instant), then the indexes, without blocking writes.
ALTER TABLE prompt_history_backup_v1_0 RENAME TO prompt_history;
ALTER TABLE analysis_results_backup_v1_0 RENAME TO analysis_results;
ALTER TABLE analysis_requests_backup_v1_0 RENAME TO analysis_requests;
ALTER TABLE file_uploads_backup_v1_0 RENAME TO file_uploads;

DROP INDEX CONCURRENTLY IF EXISTS idx_review_results_request;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_requests_user;
DROP INDEX CONCURRENTLY IF EXISTS idx_review_requests_resume;
DROP INDEX CONCURRENTLY IF EXISTS idx_feedback_section;
DROP INDEX CONCURRENTLY IF EXISTS idx_feedback_result;
DROP INDEX CONCURRENTLY IF EXISTS idx_sections_resume_order;
DROP INDEX CONCURRENTLY IF EXISTS idx_resumes_uploaded_by;
DROP INDEX CONCURRENTLY IF EXISTS idx_resumes_candidate;
DROP INDEX CONCURRENTLY IF EXISTS idx_assignments_candidate_active;
DROP INDEX CONCURRENTLY IF EXISTS idx_assignments_user_active;
DROP INDEX CONCURRENTLY IF EXISTS idx_candidates_created_by;
