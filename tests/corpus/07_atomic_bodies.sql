-- SQL-standard function bodies (PostgreSQL 14+): BEGIN ATOMIC ... END holds ; inside.

CREATE TABLE counters (name text PRIMARY KEY, n int NOT NULL DEFAULT 0);

CREATE FUNCTION counter_bump(p_name text) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
    INSERT INTO counters (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING;
    UPDATE counters SET n = n + 1 WHERE name = p_name;
    SELECT n FROM counters WHERE name = p_name;
END;

create or replace procedure counter_reset(p_name text)
language sql
begin atomic
    update counters
       set n = case when n > 100 then 100 else 0 end
     where name = p_name;
    select case p_name when 'x' then 1 end;
end;

CREATE FUNCTION sign_word(x int) RETURNS text LANGUAGE sql IMMUTABLE
RETURN CASE WHEN x > 0 THEN 'positive' WHEN x < 0 THEN 'negative' ELSE 'zero' END;

-- A transaction is not a function body: four statements.
BEGIN;
SELECT counter_bump('visits');
CALL counter_reset('visits');
END;

CREATE RULE counters_log AS ON UPDATE TO counters
    DO ALSO (SELECT 1; SELECT counter_bump('updates'));

-- DOWN
DROP RULE counters_log ON counters;
DROP FUNCTION sign_word(int); DROP PROCEDURE counter_reset(text);
DROP FUNCTION counter_bump(text);
DROP TABLE counters
