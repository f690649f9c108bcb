-- Row-level security for a multi-tenant table.
-- Policies read the tenant from a setting: SET app.tenant = '...';

CREATE TABLE documents (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant     text NOT NULL DEFAULT current_setting('app.tenant', true),
    owner      name NOT NULL DEFAULT current_user,
    title      text NOT NULL,
    "body;raw" text  -- an awkward column name, quoted
);

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON documents
    AS PERMISSIVE
    FOR ALL
    TO PUBLIC
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

CREATE POLICY owner_writes ON documents AS RESTRICTIVE FOR UPDATE
    USING (owner = current_user OR pg_has_role(current_user, 'pg_write_all_data', 'member'));

/* Readers may see titles, not bodies: column privileges; policies apply on top. */
GRANT SELECT (id, tenant, title) ON documents TO PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON documents TO CURRENT_USER;

COMMENT ON POLICY tenant_isolation ON documents IS
    'rows of the tenant in app.tenant; unset means none';

SET app.tenant = 'acme';
INSERT INTO documents (title, "body;raw") VALUES ('hello', E'line one;\nline two: it\'s fine');
RESET app.tenant;

-- ALTER POLICY and DROP POLICY IF EXISTS in one line, two statements.
ALTER POLICY owner_writes ON documents RENAME TO owner_updates; DROP POLICY IF EXISTS gone ON documents;
