-- Audit trail: a trigger function in PL/pgSQL and the triggers that use it.

CREATE TABLE accounts (
    id       serial PRIMARY KEY,
    email    text NOT NULL UNIQUE,
    balance  numeric(12, 2) NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    table_name text NOT NULL,
    op         char(1) NOT NULL,
    row_data   jsonb,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    payload jsonb;  -- the row as JSON; NULL on DELETE of nothing
BEGIN
    -- The next line looks like a section marker, but it is inside the body:
-- DOWN
    IF TG_OP = 'DELETE' THEN
        payload := to_jsonb(OLD);
    ELSE
        payload := to_jsonb(NEW);
    END IF;
    INSERT INTO audit_log (table_name, op, row_data)
    VALUES (TG_TABLE_NAME, left(TG_OP, 1), payload);
    /* a ; inside a block comment inside the body */
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION audit_row() IS 'Writes one audit_log row per changed row; never fails the statement.';

CREATE TRIGGER accounts_audit
    AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION audit_row();

CREATE FUNCTION normalize_email() RETURNS trigger
LANGUAGE plpgsql
AS $body$
BEGIN
    -- $$ inside this quote does not end it; neither does ;
    NEW.email := lower(trim(NEW.email));
    IF NEW.email !~ '^[^@;]+@[^@;]+$' THEN
        RAISE EXCEPTION 'bad email: %; expected one @', NEW.email
            USING HINT = $$use 'user@example.com'$$;
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER accounts_normalize_email
    BEFORE INSERT OR UPDATE OF email ON accounts
    FOR EACH ROW
    WHEN (NEW.email IS NOT NULL)
    EXECUTE FUNCTION normalize_email();

CREATE FUNCTION transfer(src int, dst int, amount numeric)
RETURNS void
LANGUAGE plpgsql
AS '
BEGIN
    UPDATE accounts SET balance = balance - amount WHERE id = src;
    UPDATE accounts SET balance = balance + amount WHERE id = dst;
    -- DOWN (also inside: a plain string body)
    IF NOT FOUND THEN RAISE EXCEPTION ''no account %'', dst; END IF;
END;
';

INSERT INTO accounts (email) VALUES (' Alice@Example.com '), ('bob@example.com');
SELECT transfer(1, 2, 0);
