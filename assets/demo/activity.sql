-- pgstep demo: application traffic on the document store, so the live statistics tell a
-- true story:
--   * the lookups the application makes use some indexes (pg_stat_user_indexes.idx_scan),
--     others are never used, and of each duplicate pair only one is;
--   * recent_activity_view is refreshed and then its base table, document_audit_log, is
--     written to: it is stale;
--   * user_document_stats is refreshed last, with no write to its base tables after it:
--     it is fresh (top_skills_view, created WITH DATA and never written under, too).
--
-- The planner would pick sequential scans for some of these queries on tables this small;
-- enable_seqscan is turned off for this transaction only, so the index counters reflect
-- the access paths the application is written for.

BEGIN;
SET LOCAL enable_seqscan = off;

DO $activity$
DECLARE
    users_per_scale constant int := 600;
    n_users int := users_per_scale * greatest(
        coalesce(nullif(current_setting('pgstep_demo.scale', true), '')::int, 1), 1);
    uid text;
    rid uuid;
    i int;
BEGIN
    FOR i IN 1..300 LOOP
        uid := 'usr_' || lpad((1 + (i * 37) % n_users)::text, 5, '0');

        -- The dashboard: a user's active resumes, newest first (partial index).
        PERFORM id FROM resume_documents
        WHERE user_id = uid AND status = 'active'
        ORDER BY updated_at DESC LIMIT 20;

        -- All of a user's resumes, whatever their status (user_id index).
        PERFORM count(*) FROM resume_documents WHERE user_id = uid;

        -- A user's saved jobs (one of the two identical user_id indexes).
        PERFORM id FROM job_documents WHERE user_id = uid;

        -- A user's latest optimizations (composite index).
        PERFORM id FROM optimization_results
        WHERE user_id = uid ORDER BY created_at DESC LIMIT 10;

        -- Opening a resume: its optimizations and its audit trail.
        rid := md5('resume_doc:' || (1 + (i * 11) % 3000))::uuid;
        PERFORM id FROM optimization_results WHERE resume_id = rid;
        PERFORM id FROM document_audit_log WHERE document_type = 'resume' AND document_id = rid;
    END LOOP;

    -- Search: candidates with a skill (JSONB containment on the jsonb_path_ops GIN index)
    -- and by title (trigram index).
    FOR i IN 1..40 LOOP
        PERFORM count(*) FROM resume_documents
        WHERE parsed_data @> jsonb_build_object('skills', jsonb_build_array(
            (ARRAY['Rust', 'Kafka', 'Go', 'Terraform', 'Airflow'])[1 + i % 5]));
        PERFORM count(*) FROM resume_documents
        WHERE title ILIKE '%' || (ARRAY['engineer', 'analyst', 'designer', 'manager'])[1 + i % 4] || '%';
    END LOOP;

    -- Jobs about to expire (partial index on active jobs).
    FOR i IN 1..25 LOOP
        PERFORM id FROM job_documents
        WHERE status = 'active' AND expires_at < now() + (i || ' days')::interval;
    END LOOP;

    -- Research already done on a company.
    FOR i IN 1..60 LOOP
        PERFORM id FROM research_results
        WHERE company_name = (ARRAY['Globex', 'Initech', 'Hooli', 'Contoso'])[1 + i % 4];
    END LOOP;
END
$activity$;

COMMIT;

-- recent_activity_view was refreshed through pgstep just before this file runs (so the
-- refresh is logged with the base tables' write counters); now it is written under, as users
-- keep opening documents, which makes it stale by exactly these 250 rows.
INSERT INTO document_audit_log (document_type, document_id, user_id, action, changes, created_at)
SELECT 'resume', r.id, r.user_id,
       CASE WHEN r.n % 4 = 0 THEN 'update' ELSE 'view' END,
       CASE WHEN r.n % 4 = 0 THEN jsonb_build_object('field', 'title', 'by', 'owner') END,
       now() - (r.n % 120) * interval '1 minute'
FROM (
    SELECT id, user_id, row_number() OVER (ORDER BY id) AS n
    FROM resume_documents
    WHERE status = 'active'
    ORDER BY id
    LIMIT 250
) r;

-- user_document_stats is refreshed through pgstep after this file (CONCURRENTLY, as its
-- unique index allows), so it is fresh; top_skills_view is never refreshed by pgstep, so its
-- freshness is unknown.
