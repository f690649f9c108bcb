-- pgstep demo: the document store of a second system (seed 001, ATSPro's move from ArangoDB
-- to PostgreSQL JSONB): documents as JSONB with the fields it filters on extracted, the
-- indexes its "005_create_performance_indexes" built, and its three materialized views.
--
-- Deterministic (setseed; ids are md5-derived, times are fixed offsets from the load time).
-- Volume: thousands of rows, multiplied by the scale pgstep_demo_load() left in the session
-- setting pgstep_demo.scale (1 when it is not set).
--
-- Some indexes are deliberately poor, as such plans accumulate them, so the index views
-- have something to show: activity.sql never uses several of them, one is an exact
-- duplicate (idx_jobs_user_id = idx_job_documents_user_id), and one is covered by a
-- composite index's left prefix (idx_resume_documents_user_id by
-- idx_resume_documents_user_status).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

SELECT setseed(0.1701);

-- The scale, for this session only (dropped at the end).
CREATE TEMP TABLE demo_scale AS
SELECT coalesce(nullif(current_setting('pgstep_demo.scale', true), '')::int, 1) AS sc;

-- Step 1: tables (user ids are better-auth TEXT ids, as in the seed)

CREATE TABLE resume_documents (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      TEXT NOT NULL,
    title        TEXT NOT NULL,
    parsed_data  JSONB NOT NULL,
    metadata     JSONB NOT NULL DEFAULT '{}',
    status       VARCHAR(20) NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'archived', 'deleted')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE job_documents (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      TEXT NOT NULL,
    company      TEXT NOT NULL,
    title        TEXT NOT NULL,
    location     TEXT,
    job_url      TEXT,
    parsed_data  JSONB NOT NULL,
    status       VARCHAR(20) NOT NULL DEFAULT 'active'
                 CHECK (status IN ('active', 'expired', 'closed')),
    expires_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE optimization_results (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            TEXT NOT NULL,
    resume_id          UUID NOT NULL REFERENCES resume_documents(id) ON DELETE CASCADE,
    job_id             UUID NOT NULL REFERENCES job_documents(id) ON DELETE CASCADE,
    optimized_content  JSONB NOT NULL,
    ats_score          NUMERIC(5,2) CHECK (ats_score BETWEEN 0 AND 100),
    keyword_match      NUMERIC(5,2) CHECK (keyword_match BETWEEN 0 AND 100),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE research_results (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        TEXT NOT NULL,
    company_name   TEXT NOT NULL,
    job_id         UUID REFERENCES job_documents(id) ON DELETE SET NULL,
    research_data  JSONB NOT NULL,
    expires_at     TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE document_audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_type  VARCHAR(20) NOT NULL
                   CHECK (document_type IN ('resume', 'job', 'optimization', 'research')),
    document_id    UUID NOT NULL,
    user_id        TEXT NOT NULL,
    action         VARCHAR(20) NOT NULL CHECK (action IN ('create', 'update', 'delete', 'view')),
    changes        JSONB,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Step 2: data

INSERT INTO resume_documents (id, user_id, title, parsed_data, metadata, status, created_at,
                              updated_at)
SELECT md5('resume_doc:' || i)::uuid,
       'usr_' || lpad((1 + floor(random() * 600 * sc))::text, 5, '0'),
       fn || ' ' || ln || ' - ' || role,
       jsonb_build_object(
           'name', fn || ' ' || ln,
           'email', lower(fn) || '.' || lower(ln) || i || '@mail.example',
           'summary', role || ' with ' || yrs || ' years of experience in ' || ind
                      || ', focused on ' || sk[1] || ' and ' || sk[2] || '.',
           'skills', to_jsonb(sk),
           'experience', jsonb_build_array(
               jsonb_build_object('company', (ARRAY['Northwind','Contoso','Globex','Initech',
                   'Hooli','Umbrella','Stark Industries','Wayne Enterprises'])[1 + floor(random() * 8)::int],
                   'title', role, 'years', yrs)),
           'education', jsonb_build_array(
               jsonb_build_object('degree', (ARRAY['BSc','MSc','BA','MBA','PhD'])[1 + floor(random() * 5)::int],
                                  'year', 2024 - yrs - 4))),
       jsonb_build_object('source', (ARRAY['upload','upload','linkedin','manual'])[1 + floor(random() * 4)::int],
                          'parser_version', (ARRAY['1.0','1.1','1.2'])[1 + floor(random() * 3)::int]),
       CASE WHEN random() < 0.8 THEN 'active' WHEN random() < 0.75 THEN 'archived' ELSE 'deleted' END,
       created,
       created + random() * (now() - created)
FROM (
    SELECT i, sc,
           (ARRAY['Olivia','Liam','Emma','Noah','Ava','Lucas','Mia','Ethan','Sofia','Mateo',
                  'Amara','Kenji','Priya','Jonas','Leila','Tomas'])[1 + floor(random() * 16)::int] AS fn,
           (ARRAY['Smith','Garcia','Chen','Okafor','Rossi','Nguyen','Haddad','Silva','Patel',
                  'Dubois','Tanaka','Novak'])[1 + floor(random() * 12)::int] AS ln,
           (ARRAY['Software Engineer','Data Analyst','Product Manager','DevOps Engineer',
                  'Data Engineer','UX Designer','Account Executive','Engineering Manager'])
               [1 + floor(random() * 8)::int] AS role,
           (ARRAY['fintech','healthcare','retail','logistics','energy','SaaS'])
               [1 + floor(random() * 6)::int] AS ind,
           1 + floor(random() * 20)::int AS yrs,
           ARRAY(SELECT DISTINCT (ARRAY['Python','SQL','PostgreSQL','Java','TypeScript','React',
                     'AWS','Kubernetes','Terraform','Go','Rust','Docker','Spark','Airflow',
                     'Figma','Tableau','Salesforce','Scrum','GraphQL','Kafka'])[1 + floor(random() * 20)::int]
                 FROM generate_series(1, 3 + (i % 5)) ORDER BY 1) AS sk,
           now() - interval '400 days' + random() * interval '399 days' AS created
    FROM generate_series(1, 3000 * (SELECT sc FROM demo_scale)) AS i,
         demo_scale
) g;

INSERT INTO job_documents (id, user_id, company, title, location, job_url, parsed_data,
                           status, expires_at, created_at)
SELECT md5('job_doc:' || i)::uuid,
       'usr_' || lpad((1 + floor(random() * 600 * sc))::text, 5, '0'),
       company,
       title,
       (ARRAY['Berlin','London','Lisbon','Remote','Warsaw','Amsterdam','Paris'])[1 + floor(random() * 7)::int],
       'https://jobs.example/' || lower(replace(company, ' ', '-')) || '/' || i,
       jsonb_build_object(
           'requirements', to_jsonb(req),
           'nice_to_have', jsonb_build_array((ARRAY['Kafka','GraphQL','Spark','Go'])[1 + floor(random() * 4)::int]),
           'salary_range', jsonb_build_object('min', 40000 + 1000 * floor(random() * 40),
                                              'max', 90000 + 1000 * floor(random() * 60)),
           'remote', random() < 0.4),
       status,
       CASE WHEN status = 'active' THEN now() + random() * interval '60 days'
            ELSE created + interval '30 days' END,
       created
FROM (
    SELECT i, sc,
           (ARRAY['Northwind Traders','Contoso','Globex','Initech','Hooli','Umbrella Health',
                  'Stark Logistics','Wayne Finance','Acme Retail','Vandelay Imports',
                  'Soylent','Cyberdyne','Tyrell','Massive Dynamic'])[1 + floor(random() * 14)::int] AS company,
           (ARRAY['Senior Software Engineer','Data Analyst','Product Manager','Platform Engineer',
                  'Data Engineer','Product Designer'])[1 + floor(random() * 6)::int] AS title,
           ARRAY(SELECT DISTINCT (ARRAY['Python','SQL','PostgreSQL','Java','TypeScript','React',
                     'AWS','Kubernetes','Terraform','Go','Docker','Figma'])[1 + floor(random() * 12)::int]
                 FROM generate_series(1, 2 + (i % 4)) ORDER BY 1) AS req,
           CASE WHEN random() < 0.6 THEN 'active' WHEN random() < 0.7 THEN 'expired' ELSE 'closed' END AS status,
           now() - interval '200 days' + random() * interval '199 days' AS created
    FROM generate_series(1, 2000 * (SELECT sc FROM demo_scale)) AS i,
         demo_scale
) g;

-- An optimization pairs a resume with a job; its owner is the resume's owner.
INSERT INTO optimization_results (id, user_id, resume_id, job_id, optimized_content, ats_score,
                                  keyword_match, created_at)
SELECT md5('optimization:' || i)::uuid,
       r.user_id,
       r.id,
       j.id,
       jsonb_build_object(
           'keywords_added', j.parsed_data->'requirements',
           'changes', jsonb_build_array(
               jsonb_build_object('section', 'summary', 'type', 'rewrite'),
               jsonb_build_object('section', 'skills', 'type', 'reorder')),
           'model', (ARRAY['gpt-4o-mini','claude-3-haiku'])[1 + (i % 2)]),
       round((35 + random() * 64)::numeric, 2),
       round((20 + random() * 79)::numeric, 2),
       greatest(r.created_at, j.created_at) + random() * interval '5 days'
FROM (
    SELECT i,
           1 + floor(random() * 3000 * sc)::int AS ri,
           1 + floor(random() * 2000 * sc)::int AS ji
    FROM generate_series(1, 5000 * (SELECT sc FROM demo_scale)) AS i,
         demo_scale
) g
JOIN resume_documents r ON r.id = md5('resume_doc:' || g.ri)::uuid
JOIN job_documents j ON j.id = md5('job_doc:' || g.ji)::uuid
ORDER BY g.i;

INSERT INTO research_results (id, user_id, company_name, job_id, research_data, expires_at,
                              created_at)
SELECT md5('research:' || i)::uuid,
       j.user_id,
       j.company,
       CASE WHEN i % 4 = 0 THEN NULL ELSE j.id END,
       jsonb_build_object(
           'industry', (ARRAY['Technology','Finance','Healthcare','Retail','Logistics'])[1 + (i % 5)],
           'size', (ARRAY['1-50','51-200','201-1000','1000+'])[1 + (i % 4)],
           'culture', jsonb_build_array('remote-friendly', 'flat hierarchy'),
           'news', jsonb_build_array(jsonb_build_object('title', j.company || ' raises Series ' ||
                                                        (ARRAY['A','B','C'])[1 + (i % 3)]))),
       CASE WHEN i % 3 = 0 THEN NULL ELSE j.created_at + interval '90 days' END,
       j.created_at + interval '1 hour'
FROM generate_series(1, 1000 * (SELECT sc FROM demo_scale)) AS i
JOIN job_documents j ON j.id = md5('job_doc:' || (1 + (i * 7) % (2000 * (SELECT sc FROM demo_scale))))::uuid;

-- The audit trail: a create per document, then updates and views over time.
INSERT INTO document_audit_log (document_type, document_id, user_id, action, changes, created_at)
SELECT document_type, document_id, user_id, action, changes, created_at
FROM (
    SELECT 'resume' AS document_type, id AS document_id, user_id, 'create' AS action,
           jsonb_build_object('title', title) AS changes, created_at
    FROM resume_documents
    UNION ALL
    SELECT 'job', id, user_id, 'create', jsonb_build_object('company', company), created_at
    FROM job_documents
    UNION ALL
    SELECT 'optimization', id, user_id, 'create', jsonb_build_object('ats_score', ats_score), created_at
    FROM optimization_results
    UNION ALL
    SELECT CASE WHEN k % 3 = 0 THEN 'job' ELSE 'resume' END,
           CASE WHEN k % 3 = 0 THEN j.id ELSE r.id END,
           CASE WHEN k % 3 = 0 THEN j.user_id ELSE r.user_id END,
           CASE WHEN k % 5 = 0 THEN 'update' ELSE 'view' END,
           CASE WHEN k % 5 = 0 THEN jsonb_build_object('field', 'parsed_data', 'by', 'editor') END,
           now() - random() * interval '90 days'
    FROM generate_series(1, 10000 * (SELECT sc FROM demo_scale)) AS k
    JOIN resume_documents r ON r.id = md5('resume_doc:' || (1 + (k * 13) % (3000 * (SELECT sc FROM demo_scale))))::uuid
    JOIN job_documents j ON j.id = md5('job_doc:' || (1 + (k * 17) % (2000 * (SELECT sc FROM demo_scale))))::uuid
) events
ORDER BY created_at;

-- Step 3: indexes (seed 001's index strategy: primary lookups, GIN on JSONB, trigram and
-- full-text search, partial indexes for active rows, composite indexes)

-- resume_documents
CREATE INDEX idx_resume_documents_user_id ON resume_documents (user_id);  -- left prefix of the next one
CREATE INDEX idx_resume_documents_user_status ON resume_documents (user_id, status);
CREATE INDEX idx_resume_documents_active ON resume_documents (user_id, updated_at DESC)
    WHERE status = 'active';
CREATE INDEX idx_resume_documents_parsed_data ON resume_documents USING gin (parsed_data jsonb_path_ops);
CREATE INDEX idx_resume_documents_skills ON resume_documents USING gin ((parsed_data -> 'skills'));
CREATE INDEX idx_resume_documents_title_trgm ON resume_documents USING gin (title gin_trgm_ops);
CREATE INDEX idx_resume_documents_summary_fts ON resume_documents
    USING gin (to_tsvector('english', parsed_data ->> 'summary'));

-- job_documents
CREATE INDEX idx_job_documents_user_id ON job_documents (user_id);
CREATE INDEX idx_jobs_user_id ON job_documents (user_id);  -- exact duplicate, as re-created by a later script
CREATE INDEX idx_job_documents_active ON job_documents (expires_at) WHERE status = 'active';
CREATE INDEX idx_job_documents_parsed_data ON job_documents USING gin (parsed_data);
CREATE INDEX idx_job_documents_company_trgm ON job_documents USING gin (company gin_trgm_ops);

-- optimization_results
CREATE INDEX idx_optimization_results_resume ON optimization_results (resume_id);
CREATE INDEX idx_optimization_results_job ON optimization_results (job_id);
CREATE INDEX idx_optimization_results_user_created ON optimization_results (user_id, created_at DESC);
CREATE INDEX idx_optimization_results_high_score ON optimization_results (ats_score)
    WHERE ats_score >= 80;
CREATE INDEX idx_optimization_results_content ON optimization_results USING gin (optimized_content);

-- research_results
CREATE INDEX idx_research_results_company ON research_results (company_name);
CREATE INDEX idx_research_results_company_trgm ON research_results USING gin (company_name gin_trgm_ops);
CREATE INDEX idx_research_results_unexpired ON research_results (expires_at)
    WHERE expires_at IS NOT NULL;

-- document_audit_log
CREATE INDEX idx_audit_document ON document_audit_log (document_type, document_id);
CREATE INDEX idx_audit_user_created ON document_audit_log (user_id, created_at DESC);
CREATE INDEX idx_audit_created_brin ON document_audit_log USING brin (created_at);
CREATE INDEX idx_audit_changes ON document_audit_log USING gin (changes);

-- Step 4: materialized views, created WITH DATA

-- Per-user dashboard. The unique index lets it be refreshed CONCURRENTLY.
CREATE MATERIALIZED VIEW user_document_stats AS
WITH r AS (
    SELECT user_id, count(*) AS resume_count,
           count(*) FILTER (WHERE status = 'active') AS active_resume_count,
           max(updated_at) AS last_at
    FROM resume_documents GROUP BY user_id
), j AS (
    SELECT user_id, count(*) AS job_count, max(created_at) AS last_at
    FROM job_documents GROUP BY user_id
), o AS (
    SELECT user_id, count(*) AS optimization_count, round(avg(ats_score), 2) AS avg_ats_score,
           max(created_at) AS last_at
    FROM optimization_results GROUP BY user_id
)
SELECT coalesce(r.user_id, j.user_id, o.user_id) AS user_id,
       coalesce(r.resume_count, 0) AS resume_count,
       coalesce(r.active_resume_count, 0) AS active_resume_count,
       coalesce(j.job_count, 0) AS job_count,
       coalesce(o.optimization_count, 0) AS optimization_count,
       o.avg_ats_score,
       greatest(r.last_at, j.last_at, o.last_at) AS last_activity
FROM r
FULL JOIN j ON j.user_id = r.user_id
FULL JOIN o ON o.user_id = coalesce(r.user_id, j.user_id)
WITH DATA;
CREATE UNIQUE INDEX user_document_stats_user_id ON user_document_stats (user_id);

-- The skills most often listed on active resumes.
CREATE MATERIALIZED VIEW top_skills_view AS
SELECT skill, count(*) AS resume_count
FROM resume_documents r,
     jsonb_array_elements_text(r.parsed_data -> 'skills') AS skill
WHERE r.status = 'active'
GROUP BY skill
ORDER BY resume_count DESC, skill
WITH DATA;

-- What each user did with their documents in the last 30 days.
CREATE MATERIALIZED VIEW recent_activity_view AS
SELECT user_id, document_type, action, count(*) AS events, max(created_at) AS last_event_at
FROM document_audit_log
WHERE created_at > now() - interval '30 days'
GROUP BY user_id, document_type, action
WITH DATA;
CREATE INDEX recent_activity_view_user ON recent_activity_view (user_id);

ANALYZE resume_documents, job_documents, optimization_results, research_results,
        document_audit_log, user_document_stats, top_skills_view, recent_activity_view;

DROP TABLE demo_scale;
