-- Migration: Section tracking
-- Version: 004
-- Date: 2025-09-09
-- Author: Backend lead
-- Depends: 002, 003
-- Goal: Resume sections and section-level feedback; every parsed resume gets its full-text section
-- Lock-Timeout: 2s

-- Seed 000, phase 4. New tables only; no v1.0 table is touched. Real section extraction
-- needs the AI pipeline: as in the seed, each resume with extracted text gets one
-- 'full_content' section, which the pipeline later replaces with real sections.

-- Step: Section and feedback tables
CREATE TABLE resume_sections (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    resume_id UUID NOT NULL REFERENCES resumes(id) ON DELETE CASCADE,
    section_type VARCHAR(50) NOT NULL,
    section_title VARCHAR(255),
    content TEXT NOT NULL,
    start_page INTEGER,
    end_page INTEGER,
    start_position INTEGER,
    end_position INTEGER,
    sequence_order INTEGER,
    metadata JSONB,
    extracted_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE review_feedback_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    review_result_id UUID NOT NULL REFERENCES review_results(id) ON DELETE CASCADE,
    resume_section_id UUID REFERENCES resume_sections(id),
    feedback_type VARCHAR(20) NOT NULL,  -- strength, weakness, suggestion
    category VARCHAR(20),  -- content, formatting, keywords
    feedback_text TEXT NOT NULL,
    severity_level INTEGER CHECK (severity_level >= 1 AND severity_level <= 5),
    original_text TEXT,
    suggested_text TEXT,
    confidence_score INTEGER CHECK (confidence_score >= 0 AND confidence_score <= 100),
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP
);

-- Step: Full-text section for every parsed resume
-- An empty text is no section worth reviewing: skipped like a missing one.
INSERT INTO resume_sections (resume_id, section_type, section_title, content,
                             start_position, end_position, sequence_order)
SELECT id, 'full_content', 'Complete Resume', extracted_text,
       0, length(extracted_text), 1
FROM resumes
WHERE extracted_text IS NOT NULL AND extracted_text <> '';

-- VERIFY
-- Check: no resume lost or added
-- Expect: unchanged
SELECT count(*) FROM resumes;

-- Check: every parsed resume has exactly one full-content section
SELECT r.id, count(s.id) AS sections
FROM resumes r
LEFT JOIN resume_sections s ON s.resume_id = r.id AND s.section_type = 'full_content'
WHERE r.extracted_text <> ''
GROUP BY r.id
HAVING count(s.id) <> 1;

-- Check: no section for a resume without text
SELECT s.id, s.resume_id
FROM resume_sections s
JOIN resumes r ON r.id = s.resume_id
WHERE r.extracted_text IS NULL OR r.extracted_text = '';

-- Check: each section holds its resume's text verbatim
SELECT s.id
FROM resume_sections s
JOIN resumes r ON r.id = s.resume_id
WHERE s.section_type = 'full_content' AND s.content IS DISTINCT FROM r.extracted_text;

-- Check: sections equal the parsed v1.0 uploads
-- Expect: true
SELECT (SELECT count(*) FROM resume_sections WHERE section_type = 'full_content')
     = (SELECT count(*) FROM v1_0.file_uploads WHERE extracted_text <> '');

-- DOWN
DROP TABLE IF EXISTS review_feedback_items;
DROP TABLE IF EXISTS resume_sections;
