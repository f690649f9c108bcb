-- Migration: Data migration and backfill
-- Version: 002
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 001
-- Goal: Every file upload becomes exactly one candidate and one resume, each candidate with one primary recruiter
-- Lock-Timeout: 2s

-- Seed 000, phase 2. file_uploads is only read; the application keeps using it until
-- phase 6.
--
-- Defect fixed: the seed created one candidate per upload, then found "its" candidate again
-- by joining on the uploader (and, for assignments, the upload time). A consultant with
-- three uploads has three candidates, so the join gave 3 x 3 = 9 resumes and up to 9
-- assignments; two files uploaded in the same second multiplied the assignments too. Here
-- every candidate and resume carries the id of the upload it came from
-- (source_file_upload_id, unique), and every join goes through that key.
-- No foreign key to file_uploads: that table is retired (renamed) in phase 6.

-- Step: Candidates, one per upload
ALTER TABLE candidates ADD COLUMN source_file_upload_id UUID UNIQUE;
COMMENT ON COLUMN candidates.source_file_upload_id IS
    'v1.0 file_uploads.id this candidate was created from (migration v1.1)';

-- Names are unknown until the resume is parsed (placeholders, as in the seed).
INSERT INTO candidates (first_name, last_name, email, created_by_user_id, created_at,
                        source_file_upload_id)
SELECT 'Unknown', 'Candidate',
       'candidate_' || fu.id || '@example.com',
       fu.user_id,
       fu.created_at,
       fu.id
FROM file_uploads fu;

-- Step: Primary assignment to the uploader
INSERT INTO user_candidate_assignments (user_id, candidate_id, assignment_type, assigned_at,
                                        is_active)
SELECT fu.user_id, c.id, 'primary', fu.created_at, true
FROM file_uploads fu
JOIN candidates c ON c.source_file_upload_id = fu.id;

-- Step: Resumes
CREATE TABLE resumes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    candidate_id UUID NOT NULL,
    uploaded_by_user_id UUID NOT NULL REFERENCES users(id),
    original_filename VARCHAR(255) NOT NULL,
    stored_filename VARCHAR(255) NOT NULL,
    file_hash VARCHAR(64) UNIQUE,
    file_size INTEGER NOT NULL,
    mime_type VARCHAR(100) NOT NULL,
    version_number INTEGER DEFAULT 1,
    status VARCHAR(20) DEFAULT 'pending',
    progress INTEGER DEFAULT 0,
    extracted_text TEXT,
    word_count INTEGER,
    uploaded_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    processed_at TIMESTAMPTZ,
    source_file_upload_id UUID UNIQUE,
    FOREIGN KEY (candidate_id) REFERENCES candidates(id) ON DELETE CASCADE
);
COMMENT ON COLUMN resumes.source_file_upload_id IS
    'v1.0 file_uploads.id this resume was migrated from (migration v1.1)';

INSERT INTO resumes (candidate_id, uploaded_by_user_id, original_filename, stored_filename,
                     file_hash, file_size, mime_type, status, progress, extracted_text,
                     word_count, uploaded_at, processed_at, source_file_upload_id)
SELECT c.id,
       fu.user_id,
       fu.original_filename,
       fu.filename,
       fu.file_hash,
       fu.file_size,
       fu.mime_type,
       fu.status,
       COALESCE(fu.progress, 0),
       fu.extracted_text,
       fu.word_count,
       fu.created_at,
       fu.completed_at,
       fu.id
FROM file_uploads fu
JOIN candidates c ON c.source_file_upload_id = fu.id;

-- VERIFY
-- Check: no file upload lost
-- Expect: unchanged
SELECT count(*) FROM v1_0.file_uploads;

-- Check: file upload contents unchanged
-- Expect: unchanged
SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.file_uploads t;

-- Check: as many resumes as file uploads
-- Expect: true
SELECT (SELECT count(*) FROM resumes) = (SELECT count(*) FROM v1_0.file_uploads);

-- Check: every file upload became exactly one resume
SELECT fu.id, fu.filename, count(r.id) AS resumes
FROM v1_0.file_uploads fu
LEFT JOIN resumes r ON r.source_file_upload_id = fu.id
GROUP BY fu.id, fu.filename
HAVING count(r.id) <> 1;

-- Check: every resume comes from a file upload
SELECT r.id FROM resumes r
WHERE NOT EXISTS (SELECT 1 FROM v1_0.file_uploads fu WHERE fu.id = r.source_file_upload_id);

-- Check: every resume holds its upload's file, uploader and text
SELECT r.id, fu.id AS file_upload_id
FROM resumes r
JOIN v1_0.file_uploads fu ON fu.id = r.source_file_upload_id
WHERE (r.uploaded_by_user_id, r.original_filename, r.stored_filename, r.file_size,
       r.mime_type, r.status, r.progress, r.uploaded_at)
      IS DISTINCT FROM
      (fu.user_id, fu.original_filename, fu.filename, fu.file_size,
       fu.mime_type, fu.status, COALESCE(fu.progress, 0), fu.created_at)
   OR r.file_hash IS DISTINCT FROM fu.file_hash
   OR r.extracted_text IS DISTINCT FROM fu.extracted_text
   OR r.word_count IS DISTINCT FROM fu.word_count
   OR r.processed_at IS DISTINCT FROM fu.completed_at;

-- Check: every file upload became exactly one candidate
SELECT fu.id, count(c.id) AS candidates
FROM v1_0.file_uploads fu
LEFT JOIN candidates c ON c.source_file_upload_id = fu.id
GROUP BY fu.id
HAVING count(c.id) <> 1;

-- Check: every resume belongs to the candidate made from the same upload
SELECT r.id, r.candidate_id, c.source_file_upload_id
FROM resumes r
JOIN candidates c ON c.id = r.candidate_id
WHERE c.source_file_upload_id IS DISTINCT FROM r.source_file_upload_id;

-- Check: every candidate has exactly one active primary assignment
SELECT c.id, count(a.id) AS active_primary
FROM candidates c
LEFT JOIN user_candidate_assignments a
       ON a.candidate_id = c.id AND a.is_active AND a.assignment_type = 'primary'
GROUP BY c.id
HAVING count(a.id) <> 1;

-- Check: assignments equal candidates (no multiplied rows)
-- Expect: true
SELECT (SELECT count(*) FROM user_candidate_assignments) = (SELECT count(*) FROM candidates);

-- Check: each candidate is assigned to the consultant who uploaded the file
SELECT a.id, a.user_id, r.uploaded_by_user_id
FROM user_candidate_assignments a
JOIN resumes r ON r.candidate_id = a.candidate_id
WHERE a.assignment_type = 'primary' AND a.user_id <> r.uploaded_by_user_id;

-- Check: uploaders with several files kept all of them
SELECT fu.user_id, count(DISTINCT fu.id) AS uploads, count(DISTINCT r.id) AS resumes
FROM v1_0.file_uploads fu
LEFT JOIN resumes r ON r.uploaded_by_user_id = fu.user_id
GROUP BY fu.user_id
HAVING count(DISTINCT fu.id) <> count(DISTINCT r.id);

-- DOWN
-- resumes disappears with its table; the candidates and assignments made here are the ones
-- carrying a source upload (phase 1's rollback drops the tables themselves).
DROP TABLE IF EXISTS resumes;

DELETE FROM user_candidate_assignments a
USING candidates c
WHERE c.id = a.candidate_id AND c.source_file_upload_id IS NOT NULL;

DELETE FROM candidates WHERE source_file_upload_id IS NOT NULL;

ALTER TABLE candidates DROP COLUMN source_file_upload_id;
