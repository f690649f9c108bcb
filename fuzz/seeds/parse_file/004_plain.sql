CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.updated_at := now();  -- $$ inside is fine
    RAISE NOTICE 'touched %; done', NEW.id;
    RETURN NEW;
END;
$fn$;

CREATE FUNCTION add(a integer, b integer) RETURNS integer
LANGUAGE SQL IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
END;

CREATE PROCEDURE archive(days int)
LANGUAGE SQL
BEGIN ATOMIC
    DELETE FROM orders WHERE created_at < now() - make_interval(days => days);
    INSERT INTO audit (what) VALUES ('archived');
END;

DO $do$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('ANALYZE %I', r.tablename);
    END LOOP;
END
$do$;
