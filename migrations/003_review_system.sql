-- Migration: Review system
-- Version: 003
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 002
-- Goal: Every analysis request and result moves to the review tables, matched by real keys
-- Lock-Timeout: 2s

-- Seed 000, phase 3. analysis_requests and analysis_results are only read.
--
-- Defects fixed:
-- 1. The seed found a request's resume with `file_path LIKE '%' || filename || '%'` (a
--    "best guess": `_` is a LIKE wildcard and one stored name can be part of another) and
--    then by original_filename and requester. Consultants upload many files called
--    "resume.pdf", so a request matched every one of them; and a request made by someone
--    other than the uploader (an admin reviewing a consultant's file) matched none and
--    was silently dropped - the seed's "16 -> 11 deduplicated". Here the file is the one
--    whose stored filename is the last segment of file_path (stored names are unique),
--    and its resume is found through resumes.source_file_upload_id.
-- 2. The seed attached results to review requests by timestamp
--    (`rr.requested_at = ar.created_at`): two requests submitted in the same second got
--    each other's results. Here a result follows its own request's id.
-- Every review row records the v1.0 row it came from, so the checks can prove both.
-- Float scores become the integers v1.1 stores (rounded); the exact v1.0 floats are kept
-- in detailed_scores, so the conversion loses nothing.

-- Step: Review tables
CREATE TABLE review_requests (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    resume_id UUID NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,
    requested_by_user_id UUID NOT NULL REFERENCES users(id),
    target_role VARCHAR(255),
    target_industry VARCHAR(255),
    experience_level VARCHAR(50),
    review_type VARCHAR(20) DEFAULT 'comprehensive',
    status VARCHAR(20) DEFAULT 'pending',
    requested_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMPTZ,
    source_analysis_request_id UUID UNIQUE
);
COMMENT ON COLUMN review_requests.source_analysis_request_id IS
    'v1.0 analysis_requests.id this request was migrated from (migration v1.1)';

CREATE TABLE review_results (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    review_request_id UUID NOT NULL REFERENCES review_requests(id) ON DELETE CASCADE,
    overall_score INTEGER CHECK (overall_score >= 0 AND overall_score <= 100),
    ats_score INTEGER CHECK (ats_score >= 0 AND ats_score <= 100),
    content_score INTEGER CHECK (content_score >= 0 AND content_score <= 100),
    formatting_score INTEGER CHECK (formatting_score >= 0 AND formatting_score <= 100),
    executive_summary TEXT,
    detailed_scores JSONB,
    ai_model_used VARCHAR(100),
    processing_time_ms INTEGER,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    source_analysis_result_id UUID UNIQUE
);
COMMENT ON COLUMN review_results.source_analysis_result_id IS
    'v1.0 analysis_results.id this result was migrated from (migration v1.1)';

-- Step: Analysis requests to review requests
INSERT INTO review_requests (resume_id, requested_by_user_id, target_role, target_industry,
                             experience_level, status, requested_at, completed_at,
                             source_analysis_request_id)
SELECT r.id,
       ar.user_id,
       ar.target_role,
       ar.target_industry,
       ar.experience_level,
       ar.status,
       ar.created_at,
       ar.completed_at,
       ar.id
FROM analysis_requests ar
JOIN file_uploads fu ON fu.filename = substring(ar.file_path FROM '[^/]+$')
JOIN resumes r ON r.source_file_upload_id = fu.id;

-- Step: Analysis results to review results
INSERT INTO review_results (review_request_id, overall_score, content_score,
                            formatting_score, executive_summary, detailed_scores,
                            ai_model_used, processing_time_ms, created_at,
                            source_analysis_result_id)
SELECT rr.id,
       round(ares.overall_score)::INTEGER,
       round(ares.content_score)::INTEGER,
       round(ares.formatting_score)::INTEGER,
       ares.summary,
       jsonb_strip_nulls(jsonb_build_object(
           'overall', ares.overall_score,
           'content', ares.content_score,
           'formatting', ares.formatting_score,
           'keyword', ares.keyword_score)),
       ares.ai_model_used,
       round(ares.processing_time_ms)::INTEGER,
       ares.created_at,
       ares.id
FROM analysis_results ares
JOIN review_requests rr ON rr.source_analysis_request_id = ares.request_id;

-- VERIFY
-- Check: no analysis request lost
-- Expect: unchanged
SELECT count(*) FROM v1_0.analysis_requests;

-- Check: no analysis result lost
-- Expect: unchanged
SELECT count(*) FROM v1_0.analysis_results;

-- Check: analysis contents unchanged
-- Expect: unchanged
SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.analysis_requests t),
       (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM v1_0.analysis_results t);

-- Check: every request's file_path names exactly one uploaded file (unmatched listed)
SELECT ar.id, ar.file_path, count(fu.id) AS files
FROM v1_0.analysis_requests ar
LEFT JOIN v1_0.file_uploads fu ON fu.filename = substring(ar.file_path FROM '[^/]+$')
GROUP BY ar.id, ar.file_path
HAVING count(fu.id) <> 1;

-- Check: every analysis request became exactly one review request
SELECT ar.id, ar.file_path, count(rr.id) AS review_requests
FROM v1_0.analysis_requests ar
LEFT JOIN review_requests rr ON rr.source_analysis_request_id = ar.id
GROUP BY ar.id, ar.file_path
HAVING count(rr.id) <> 1;

-- Check: review requests equal analysis requests
-- Expect: true
SELECT (SELECT count(*) FROM review_requests) = (SELECT count(*) FROM v1_0.analysis_requests);

-- Check: each review request is on the resume of the file its request named
SELECT rr.id, ar.file_path, r.stored_filename
FROM review_requests rr
JOIN v1_0.analysis_requests ar ON ar.id = rr.source_analysis_request_id
JOIN resumes r ON r.id = rr.resume_id
WHERE r.stored_filename <> substring(ar.file_path FROM '[^/]+$');

-- Check: each review request keeps its requester, target and times
SELECT rr.id
FROM review_requests rr
JOIN v1_0.analysis_requests ar ON ar.id = rr.source_analysis_request_id
WHERE (rr.requested_by_user_id, rr.target_role, rr.target_industry, rr.experience_level,
       rr.status, rr.requested_at, rr.completed_at)
      IS DISTINCT FROM
      (ar.user_id, ar.target_role, ar.target_industry, ar.experience_level,
       ar.status, ar.created_at, ar.completed_at);

-- Check: every analysis result became exactly one review result
SELECT ares.id, count(res.id) AS review_results
FROM v1_0.analysis_results ares
LEFT JOIN review_results res ON res.source_analysis_result_id = ares.id
GROUP BY ares.id
HAVING count(res.id) <> 1;

-- Check: review results equal analysis results
-- Expect: true
SELECT (SELECT count(*) FROM review_results) = (SELECT count(*) FROM v1_0.analysis_results);

-- Check: each result is attached to its own request, not one with the same timestamp
SELECT res.id, ares.request_id, rr.source_analysis_request_id
FROM review_results res
JOIN v1_0.analysis_results ares ON ares.id = res.source_analysis_result_id
JOIN review_requests rr ON rr.id = res.review_request_id
WHERE rr.source_analysis_request_id <> ares.request_id;

-- Check: scores are the v1.0 scores rounded, and the exact floats are kept
SELECT res.id
FROM review_results res
JOIN v1_0.analysis_results ares ON ares.id = res.source_analysis_result_id
WHERE res.overall_score IS DISTINCT FROM round(ares.overall_score)::INTEGER
   OR res.content_score IS DISTINCT FROM round(ares.content_score)::INTEGER
   OR res.formatting_score IS DISTINCT FROM round(ares.formatting_score)::INTEGER
   OR (res.detailed_scores->>'overall')::float8 IS DISTINCT FROM ares.overall_score
   OR (res.detailed_scores->>'content')::float8 IS DISTINCT FROM ares.content_score
   OR (res.detailed_scores->>'formatting')::float8 IS DISTINCT FROM ares.formatting_score
   OR (res.detailed_scores->>'keyword')::float8 IS DISTINCT FROM ares.keyword_score;

-- DOWN
DROP TABLE IF EXISTS review_results;
DROP TABLE IF EXISTS review_requests;
