-- pgstep demo: the v1.0 recruitment platform (seed 000, "Schema v1.0 -> v1.1").
--
-- The file-centric v1.0 schema that the bundled plan (migrations/001..007) turns into the
-- candidate-centric v1.1: consultants upload resume files, request an AI analysis of a file
-- and read its result; admins maintain the analysis prompts. The columns are the ones the
-- seed's migration reads, plus what such a table plainly has.
--
-- Keys are UUIDs (no sequences, so renaming a table in phase 6 renames nothing else).
-- `pgstep_demo_load(scale)` at the end fills the tables; it runs on a fresh database.

CREATE TABLE users (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email           VARCHAR(255) NOT NULL UNIQUE,
    password_hash   VARCHAR(255) NOT NULL,
    full_name       VARCHAR(255) NOT NULL,
    role            VARCHAR(20) NOT NULL DEFAULT 'consultant',
    is_active       BOOLEAN NOT NULL DEFAULT true,
    last_login_at   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Phase 1 replaces this constraint; its rollback restores it with this exact definition.
    CONSTRAINT users_role_check CHECK (role IN ('consultant', 'admin'))
);

CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  VARCHAR(64) NOT NULL UNIQUE,
    user_agent  VARCHAR(255),
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens(user_id);

-- One row per uploaded resume file. `filename` is the stored (unique) name on disk,
-- `original_filename` the name the consultant's file had: "resume.pdf" is common.
CREATE TABLE file_uploads (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename           VARCHAR(255) NOT NULL UNIQUE,
    original_filename  VARCHAR(255) NOT NULL,
    file_hash          VARCHAR(64),
    file_size          INTEGER NOT NULL,
    mime_type          VARCHAR(100) NOT NULL,
    status             VARCHAR(20) NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    progress           INTEGER DEFAULT 0,
    error_message      TEXT,
    extracted_text     TEXT,
    word_count         INTEGER,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at       TIMESTAMPTZ
);
CREATE INDEX idx_file_uploads_user ON file_uploads(user_id);

-- An analysis request names its file by path only (`.../uploads/<user id>/<filename>`):
-- v1.0 had no foreign key to file_uploads, which is why the seed's migration "guessed".
CREATE TABLE analysis_requests (
    id                UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_path         VARCHAR(500) NOT NULL,
    target_role       VARCHAR(255),
    target_industry   VARCHAR(255),
    experience_level  VARCHAR(50),
    status            VARCHAR(20) NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at      TIMESTAMPTZ
);
CREATE INDEX idx_analysis_requests_user ON analysis_requests(user_id);

-- Scores are floats in v1.0 (the v1.1 review_results keeps integers 0..100).
CREATE TABLE analysis_results (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id          UUID NOT NULL REFERENCES analysis_requests(id) ON DELETE CASCADE,
    overall_score       DOUBLE PRECISION,
    content_score       DOUBLE PRECISION,
    formatting_score    DOUBLE PRECISION,
    keyword_score       DOUBLE PRECISION,
    summary             TEXT,
    ai_model_used       VARCHAR(100),
    processing_time_ms  DOUBLE PRECISION,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_analysis_results_request ON analysis_results(request_id);

CREATE TABLE prompts (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name         VARCHAR(100) NOT NULL UNIQUE,
    description  TEXT,
    content      TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    is_active    BOOLEAN NOT NULL DEFAULT true,
    created_by   UUID,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- Phase 5 drops this foreign key ("remove user relationship"); its rollback restores it.
    CONSTRAINT prompts_created_by_fkey FOREIGN KEY (created_by)
        REFERENCES users(id) ON DELETE SET NULL
);

-- Earlier versions of a prompt's text.
CREATE TABLE prompt_history (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_id       UUID NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    prompt_content  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_prompt_history_prompt ON prompt_history(prompt_id);


-- pgstep_demo_load(scale): deterministic generated data (setseed; ids are md5-derived
-- UUIDs), at the seed's volume for scale 1, multiplied by `scale`:
--
--   users             217 x scale: 10 admins, 18 consultants who joined before
--                     2023-09-09 (phase 1 makes them senior recruiters), 189 after
--   file_uploads      40 x scale, by 25 x scale consultants: most uploaders have several
--                     files (the seed's phase-2 join on the uploader multiplies them)
--   analysis_requests 16 x scale, each naming an upload in file_path; #1 and #2 are a
--                     batch: the same user, the same second, both files "resume.pdf"
--                     (timestamp or filename matching cannot tell them apart);
--                     #3 was requested by an admin for a consultant's file
--   analysis_results  one per completed request (including #1 and #2)
--   prompts           3 (base, structure, appeal); prompt_history 4 x scale per prompt
--   refresh_tokens    300 x scale
--
-- The scale is also left in the session setting pgstep_demo.scale for documents.sql.
CREATE FUNCTION pgstep_demo_load(scale int) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    s       int := greatest(scale, 1);
    n_users int := 217 * s;
    first_names text[] := ARRAY['Olivia','Liam','Emma','Noah','Ava','Lucas','Mia','Ethan',
        'Sofia','Mateo','Amara','Kenji','Priya','Jonas','Leila','Tomas','Ingrid','Ravi',
        'Chloe','Omar','Hana','Felix','Zara','Diego','Nadia','Arjun','Elena','Samuel'];
    last_names text[] := ARRAY['Smith','Garcia','Chen','Okafor','Müller','Rossi','Kowalski',
        'Nguyen','Haddad','Silva','Johansson','Patel','Dubois','Tanaka','Novak','Ibrahim',
        'Martin','Larsen','Costa','Walsh','Fischer','Moreau','Sato','Hughes'];
    skills text[] := ARRAY['Python','SQL','PostgreSQL','Java','TypeScript','React','AWS',
        'Kubernetes','Terraform','Go','Rust','Excel','Salesforce','SAP','Tableau',
        'Project management','Agile','Scrum','Negotiation','Customer success',
        'Financial modelling','IFRS','Recruiting','Figma','Machine learning','Docker'];
    roles text[] := ARRAY['Software Engineer','Data Analyst','Product Manager',
        'DevOps Engineer','Account Executive','Financial Controller','UX Designer',
        'Customer Success Manager','Data Engineer','Engineering Manager'];
    industries text[] := ARRAY['Technology','Finance','Healthcare','Retail','Logistics',
        'Energy','Public sector','Consulting'];
    companies text[] := ARRAY['Northwind','Contoso','Globex','Initech','Umbrella Health',
        'Stark Logistics','Wayne Finance','Acme Retail','Hooli','Vandelay Imports'];
    cutoff timestamptz := '2023-09-09 00:00:00+00';
BEGIN
    PERFORM setseed(0.4242);
    PERFORM set_config('pgstep_demo.scale', s::text, false);

    -- Users: index 1..10s admins, 10s+1..28s consultants from before the cut-off date,
    -- the rest consultants who joined after it. Ids are md5-derived, so not in that order.
    INSERT INTO users (id, email, password_hash, full_name, role, is_active,
                       last_login_at, created_at, updated_at)
    SELECT md5('user:' || i)::uuid,
           lower(replace(fn, 'ü', 'ue')) || '.' || lower(replace(ln, 'ü', 'ue')) || i
               || '@talentbridge.example',
           '$2b$12$' || substr(encode(sha256(convert_to('pw:' || i, 'UTF8')), 'base64'), 1, 53),
           fn || ' ' || ln,
           CASE WHEN i <= 10 * s THEN 'admin' ELSE 'consultant' END,
           random() > 0.06,
           CASE WHEN random() < 0.9 THEN created + (random() * (timestamptz '2025-09-08 18:00+00' - created)) END,
           created,
           created + (random() * interval '60 days')
    FROM (
        SELECT i,
               first_names[1 + floor(random() * array_length(first_names, 1))::int] AS fn,
               last_names[1 + floor(random() * array_length(last_names, 1))::int] AS ln,
               date_trunc('second', CASE
                   WHEN i <= 10 * s THEN timestamptz '2020-03-02 09:00+00' + random() * interval '600 days'
                   WHEN i <= 28 * s THEN timestamptz '2021-01-04 09:00+00' + random() * (cutoff - timestamptz '2021-01-04 09:00+00' - interval '1 day')
                   ELSE cutoff + interval '1 hour' + random() * interval '720 days'
               END) AS created
        FROM generate_series(1, n_users) AS i
    ) g;

    -- File uploads: upload j by consultant 10s+1 .. 35s (several files each, on average).
    INSERT INTO file_uploads (id, user_id, filename, original_filename, file_hash, file_size,
                              mime_type, status, progress, error_message, extracted_text,
                              word_count, created_at, completed_at)
    SELECT md5('upload:' || j)::uuid,
           u.id,
           to_char(g.created AT TIME ZONE 'UTC', 'YYYYMMDD') || '_' || substr(md5('file:' || j), 1, 12)
               || CASE WHEN g.docx THEN '.docx' ELSE '.pdf' END,
           g.original || CASE WHEN g.docx THEN '.docx' ELSE '.pdf' END,
           encode(sha256(convert_to('content:' || j, 'UTF8')), 'hex'),
           20000 + floor(random() * 880000)::int,
           CASE WHEN g.docx
                THEN 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
                ELSE 'application/pdf' END,
           g.status,
           CASE g.status WHEN 'completed' THEN 100 WHEN 'failed' THEN 40
                         WHEN 'processing' THEN 60 ELSE NULL END,
           CASE WHEN g.status = 'failed' THEN 'text extraction failed: encrypted PDF' END,
           CASE WHEN g.status = 'completed' THEN g.text END,
           CASE WHEN g.status = 'completed'
                THEN array_length(regexp_split_to_array(g.text, '\s+'), 1) END,
           g.created,
           CASE WHEN g.status IN ('completed', 'failed')
                THEN g.created + (5 + floor(random() * 200)::int) * interval '1 second' END
    FROM (
        SELECT j,
               10 * s + 1 + floor(random() * 25 * s)::int AS uploader,
               random() < 0.25 AS docx,
               (ARRAY['resume', 'CV', 'Resume_2025', 'cv_final', 'resume_updated'])
                   [1 + floor(random() * 5)::int] AS original,
               CASE WHEN j <= 2 THEN 'completed'
                    ELSE (ARRAY['completed','completed','completed','completed','completed',
                                'completed','completed','failed','processing','pending'])
                         [1 + floor(random() * 10)::int] END AS status,
               date_trunc('second', timestamptz '2025-01-06 08:00+00' + random() * interval '240 days') AS created,
               'Experienced ' || roles[1 + floor(random() * 10)::int] || ' with '
                   || (2 + floor(random() * 15)::int) || ' years in '
                   || industries[1 + floor(random() * 8)::int] || '. Skills: '
                   || skills[1 + floor(random() * 26)::int] || ', '
                   || skills[1 + floor(random() * 26)::int] || ', '
                   || skills[1 + floor(random() * 26)::int] || '. Previously at '
                   || companies[1 + floor(random() * 10)::int] || ' and '
                   || companies[1 + floor(random() * 10)::int]
                   || '. Education: BSc, ' || (1995 + floor(random() * 25)::int) || '.' AS text
        FROM generate_series(1, 40 * s) AS j
    ) g
    JOIN users u ON u.id = md5('user:' || g.uploader)::uuid;

    -- Uploads #1 and #2: one batch. Same user, same second, both called "resume.pdf".
    UPDATE file_uploads f
    SET user_id = one.user_id,
        created_at = one.created_at,
        completed_at = one.created_at + interval '42 seconds',
        original_filename = 'resume.pdf',
        filename = to_char(one.created_at AT TIME ZONE 'UTC', 'YYYYMMDD') || '_'
                   || substr(md5('file:' || CASE WHEN f.id = md5('upload:1')::uuid THEN 1 ELSE 2 END), 1, 12)
                   || '.pdf',
        mime_type = 'application/pdf'
    FROM file_uploads one
    WHERE one.id = md5('upload:1')::uuid
      AND f.id IN (md5('upload:1')::uuid, md5('upload:2')::uuid);

    -- An upload never predates its uploader's account.
    UPDATE file_uploads f
    SET created_at = u.created_at + interval '3 days',
        completed_at = CASE WHEN f.completed_at IS NOT NULL
                            THEN u.created_at + interval '3 days' + (f.completed_at - f.created_at) END
    FROM users u
    WHERE u.id = f.user_id AND f.created_at <= u.created_at;

    -- Analysis requests: request k names upload k by its path.
    INSERT INTO analysis_requests (id, user_id, file_path, target_role, target_industry,
                                   experience_level, status, created_at, completed_at)
    SELECT md5('request:' || k)::uuid,
           CASE WHEN k = 3 THEN md5('user:1')::uuid ELSE f.user_id END,
           '/srv/talentbridge/uploads/' || f.user_id || '/' || f.filename,
           roles[1 + floor(random() * 10)::int],
           industries[1 + floor(random() * 8)::int],
           (ARRAY['entry', 'mid', 'senior', 'executive'])[1 + floor(random() * 4)::int],
           g.status,
           t.requested,
           CASE WHEN g.status IN ('completed', 'failed')
                THEN t.requested + (20 + floor(random() * 90)::int) * interval '1 second' END
    FROM (
        SELECT k,
               CASE WHEN k <= 3 THEN 'completed'
                    ELSE (ARRAY['completed', 'completed', 'failed', 'pending'])[1 + floor(random() * 4)::int]
               END AS status,
               random() AS r
        FROM generate_series(1, 16 * s) AS k
    ) g
    JOIN file_uploads f ON f.id = md5('upload:' || g.k)::uuid
    CROSS JOIN LATERAL (
        SELECT CASE WHEN g.k <= 2 THEN f.created_at + interval '5 minutes'
                    ELSE f.created_at + date_trunc('second', (1 + g.r * 72) * interval '1 hour') END
    ) AS t(requested);

    -- Analysis results: one per completed request.
    INSERT INTO analysis_results (id, request_id, overall_score, content_score,
                                  formatting_score, keyword_score, summary, ai_model_used,
                                  processing_time_ms, created_at)
    SELECT md5('result:' || ar.id)::uuid,
           ar.id,
           round((45 + random() * 50)::numeric, 2)::float8,
           CASE WHEN random() < 0.1 THEN NULL ELSE round((40 + random() * 55)::numeric, 2)::float8 END,
           round((35 + random() * 60)::numeric, 2)::float8,
           round((20 + random() * 75)::numeric, 2)::float8,
           'Solid ' || lower(coalesce(ar.target_role, 'candidate')) || ' profile; '
               || (ARRAY['quantify achievements', 'tighten the summary',
                         'add missing keywords', 'fix inconsistent dates'])[1 + floor(random() * 4)::int]
               || '.',
           (ARRAY['gpt-4o-2024-08-06', 'claude-3-5-sonnet-20240620'])[1 + floor(random() * 2)::int],
           round((1800 + random() * 9000)::numeric, 3)::float8,
           ar.completed_at
    FROM analysis_requests ar
    WHERE ar.status = 'completed'
    ORDER BY ar.id;

    -- Prompts: the three the v1.1 agents take over; the third one's author left.
    INSERT INTO prompts (id, name, description, content, version, is_active, created_by,
                         created_at, updated_at)
    VALUES
        (md5('prompt:base')::uuid, 'resume_base_analysis', 'General resume analysis',
         'You are an experienced recruiter. Score the resume for {{target_role}} in {{target_industry}} ...',
         4 * s + 1, true, md5('user:1')::uuid,
         '2024-02-12 10:00+00', '2025-08-20 14:30+00'),
        (md5('prompt:structure')::uuid, 'resume_structure_review', 'Layout and section order',
         'Review the structure of the resume: sections, order, length, dates ...',
         4 * s + 1, true, md5('user:2')::uuid,
         '2024-03-05 11:15+00', '2025-08-21 09:10+00'),
        (md5('prompt:appeal')::uuid, 'resume_appeal_review', 'Appeal to a hiring manager',
         'As a hiring manager for {{target_role}}, what makes this resume stand out ...',
         4 * s + 1, true, NULL,
         '2024-05-20 16:40+00', '2025-08-22 17:05+00');

    INSERT INTO prompt_history (id, prompt_id, version, prompt_content, created_at)
    SELECT md5('prompt_history:' || p.name || ':' || v)::uuid,
           p.id,
           v,
           p.content || ' (v' || v || ')',
           p.created_at + v * interval '9 days' + date_trunc('second', random() * interval '8 days')
    FROM prompts p
    CROSS JOIN generate_series(1, 4 * s) AS v
    ORDER BY p.name, v;

    -- Refresh tokens: mostly recent sessions, some revoked, some expired.
    INSERT INTO refresh_tokens (id, user_id, token_hash, user_agent, expires_at, revoked_at,
                                created_at)
    SELECT md5('token:' || t)::uuid,
           md5('user:' || (1 + floor(random() * n_users)::int))::uuid,
           encode(sha256(convert_to('token:' || t, 'UTF8')), 'hex'),
           (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
                  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)',
                  'Mozilla/5.0 (X11; Linux x86_64)'])[1 + floor(random() * 3)::int],
           g.created + interval '30 days',
           CASE WHEN random() < 0.15 THEN g.created + random() * interval '10 days' END,
           g.created
    FROM (
        SELECT t, date_trunc('second', timestamptz '2025-07-01 00:00+00' + random() * interval '70 days') AS created
        FROM generate_series(1, 300 * s) AS t
    ) g;

    ANALYZE users, refresh_tokens, file_uploads, analysis_requests, analysis_results,
            prompts, prompt_history;

    RETURN format('users=%s file_uploads=%s analysis_requests=%s analysis_results=%s '
                  'prompts=%s prompt_history=%s refresh_tokens=%s',
                  (SELECT count(*) FROM users), (SELECT count(*) FROM file_uploads),
                  (SELECT count(*) FROM analysis_requests), (SELECT count(*) FROM analysis_results),
                  (SELECT count(*) FROM prompts), (SELECT count(*) FROM prompt_history),
                  (SELECT count(*) FROM refresh_tokens));
END
$fn$;
