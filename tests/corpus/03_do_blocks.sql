-- Data fixes in DO blocks; each one is a single statement however many ; it holds.

CREATE TABLE settings (key text PRIMARY KEY, value text);

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_reader') THEN
        CREATE ROLE app_reader NOLOGIN;
    END IF;
END
$$;

DO LANGUAGE plpgsql $do$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT k FROM (VALUES ('a'), ('b;c')) AS v(k) LOOP
        INSERT INTO settings VALUES (r.k, $q$it's "quoted"; $$ stays$q$);
    END LOOP;
    EXECUTE $sql$
        UPDATE settings SET value = upper(value); -- DOWN
    $sql$;
END
$do$;

-- Nested: the inner function body is $fn$, the DO body $outer$.
DO $outer$
BEGIN
    EXECUTE $fn$
        CREATE OR REPLACE FUNCTION settings_count() RETURNS bigint
        LANGUAGE sql STABLE AS $$ SELECT count(*) FROM settings; $$
    $fn$;
END
$outer$;

/* A DO block with a dollar tag that differs only in case: $X$ does not close $x$. */
DO $x$ BEGIN PERFORM $X$; not the end$X$; END $x$;

SELECT settings_count(); SELECT key, value FROM settings ORDER BY key;
