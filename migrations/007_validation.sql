-- Migration: Validation and testing
-- Version: 007
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 006
-- Goal: Prove v1.1 complete: counts match v1.0, every candidate reachable by its recruiter
-- Lock-Timeout: 2s

-- Seed 000, phase 7. Read-only: the seed's Step 7.1 and 7.2 queries were for eyes (and
-- 7.2 needed a hand-picked :user_id); here they are pass/fail checks over every user.
-- The only statement records the summary as a view operators and `pgstep verify` can
-- read later.
--
-- Defect fixed in 7.1: the seed's "verify relationships" query LEFT JOINed resumes and
-- assignments in one go, so a candidate with 2 resumes and 2 assignments showed 4 and 4.
-- The checks count each relationship on its own.

-- Step: Migration summary view
CREATE VIEW migration_v1_1_summary AS
SELECT 'candidates' AS table_name, count(*) AS records FROM candidates
UNION ALL SELECT 'resumes', count(*) FROM resumes
UNION ALL SELECT 'user_candidate_assignments', count(*) FROM user_candidate_assignments
UNION ALL SELECT 'review_requests', count(*) FROM review_requests
UNION ALL SELECT 'review_results', count(*) FROM review_results
UNION ALL SELECT 'resume_sections', count(*) FROM resume_sections
UNION ALL SELECT 'prompt_usage_history', count(*) FROM prompt_usage_history
UNION ALL SELECT 'file_uploads_backup_v1_0', count(*) FROM file_uploads_backup_v1_0
UNION ALL SELECT 'analysis_requests_backup_v1_0', count(*) FROM analysis_requests_backup_v1_0
UNION ALL SELECT 'analysis_results_backup_v1_0', count(*) FROM analysis_results_backup_v1_0
UNION ALL SELECT 'prompt_history_backup_v1_0', count(*) FROM prompt_history_backup_v1_0;
COMMENT ON VIEW migration_v1_1_summary IS 'Row counts of the v1.1 tables and the v1.0 backups';

-- VERIFY
-- Check: 7.1 counts - one candidate, resume and assignment per v1.0 upload, and so on
SELECT old.table_name AS v1_0_table, old.records AS v1_0_records,
       new.table_name AS v1_1_table, new.records AS v1_1_records
FROM migration_v1_1_summary old
JOIN migration_v1_1_summary new
  ON (old.table_name, new.table_name) IN (
       ('file_uploads_backup_v1_0', 'candidates'),
       ('file_uploads_backup_v1_0', 'resumes'),
       ('file_uploads_backup_v1_0', 'user_candidate_assignments'),
       ('analysis_requests_backup_v1_0', 'review_requests'),
       ('analysis_results_backup_v1_0', 'review_results'),
       ('prompt_history_backup_v1_0', 'prompt_usage_history'))
WHERE old.records <> new.records;

-- Check: 7.1 relationships - every candidate has one resume and one active assignment
SELECT c.id,
       (SELECT count(*) FROM resumes r WHERE r.candidate_id = c.id) AS resume_count,
       (SELECT count(*) FROM user_candidate_assignments a
         WHERE a.candidate_id = c.id AND a.is_active) AS assignment_count
FROM candidates c
WHERE (SELECT count(*) FROM resumes r WHERE r.candidate_id = c.id) <> 1
   OR (SELECT count(*) FROM user_candidate_assignments a
        WHERE a.candidate_id = c.id AND a.is_active) <> 1;

-- Check: 7.1 every review request has a resume and every result a request
SELECT 'review_request without resume' AS problem, rr.id
FROM review_requests rr LEFT JOIN resumes r ON r.id = rr.resume_id WHERE r.id IS NULL
UNION ALL
SELECT 'review_result without request', res.id
FROM review_results res LEFT JOIN review_requests rr ON rr.id = res.review_request_id
WHERE rr.id IS NULL;

-- Check: 7.2 every user keeps a valid v1.1 role (logins keep working)
SELECT id, email, role FROM users
WHERE role NOT IN ('junior_recruiter', 'senior_recruiter', 'admin');

-- Check: 7.2 junior recruiters see exactly their assigned candidates, with their resumes
-- (for every junior, the seed's access query gives the candidates whose resumes they uploaded)
SELECT u.id, u.email
FROM users u
WHERE u.role = 'junior_recruiter'
  AND (SELECT count(DISTINCT c.id)
       FROM candidates c
       JOIN user_candidate_assignments a ON a.candidate_id = c.id
       JOIN resumes r ON r.candidate_id = c.id
       WHERE a.user_id = u.id AND a.is_active)
   <> (SELECT count(*) FROM resumes r WHERE r.uploaded_by_user_id = u.id);

-- Check: 7.2 every active assignment belongs to a recruiter
SELECT a.id, u.email, u.role
FROM user_candidate_assignments a
JOIN users u ON u.id = a.user_id
WHERE a.is_active AND u.role NOT IN ('junior_recruiter', 'senior_recruiter');

-- Check: 7.2 every resume is reachable by its uploader through an active assignment
SELECT r.id, r.uploaded_by_user_id
FROM resumes r
WHERE NOT EXISTS (
    SELECT 1 FROM user_candidate_assignments a
    WHERE a.candidate_id = r.candidate_id AND a.user_id = r.uploaded_by_user_id AND a.is_active);

-- Check: 7.2 senior recruiters see every candidate with a resume (their query has no filter)
SELECT c.id FROM candidates c
WHERE NOT EXISTS (SELECT 1 FROM resumes r WHERE r.candidate_id = c.id);

-- Check: 7.2 role split as planned: admins, senior and (more) junior recruiters
-- Expect: true
SELECT count(*) FILTER (WHERE role = 'admin') > 0
   AND count(*) FILTER (WHERE role = 'senior_recruiter') > 0
   AND count(*) FILTER (WHERE role = 'junior_recruiter') > count(*) FILTER (WHERE role = 'senior_recruiter')
FROM users;

-- Check: zero constraint violations - every constraint validated
SELECT conrelid::regclass AS table_name, conname
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND NOT convalidated;

-- DOWN
DROP VIEW IF EXISTS migration_v1_1_summary;
