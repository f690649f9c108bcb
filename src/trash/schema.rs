//! The schema pgstep keeps copies in: the catalog of kept things and the functions that keep
//! them. The functions run on the server so that a keep is one statement, sent in the phase's
//! pipeline right before the statement it keeps for, without a round trip of its own.

/// Marks the schema as pgstep's, with its layout version.
/// 2 keeps the rows of the tables a `TRUNCATE ... CASCADE` empties.
pub(super) const COMMENT: &str = "pgstep trash v2";

/// Creates or completes the schema; run in a transaction of its own.
pub(super) const DDL: &str = r#"
CREATE SCHEMA IF NOT EXISTS pgstep_trash;
DO $$ BEGIN
    CREATE TYPE pgstep_trash.kind AS ENUM ('table', 'column', 'rows');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
CREATE TABLE IF NOT EXISTS pgstep_trash.kept (
    id bigserial PRIMARY KEY,
    kind pgstep_trash.kind NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    column_name text,
    phase text NOT NULL,
    part text NOT NULL CHECK (part IN ('up', 'down')),
    statement text NOT NULL,
    rows bigint NOT NULL,
    bytes bigint NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT now(),
    search_path text NOT NULL,
    definition jsonb NOT NULL,
    logged boolean NOT NULL DEFAULT false
);

-- A column's definition; its values are copied as text when its type is not built in, so a
-- type dropped after the table (DROP SCHEMA ... CASCADE, DROP TYPE ... CASCADE) cannot take
-- the kept values with it.
CREATE OR REPLACE FUNCTION pgstep_trash.column_definition(rel oid, num smallint)
RETURNS jsonb LANGUAGE sql STABLE AS $f$
    SELECT jsonb_build_object(
        'name', a.attname,
        'type', format_type(a.atttypid, a.atttypmod),
        'not_null', a.attnotnull,
        'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
        'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
        'identity', nullif(a.attidentity::text, ''),
        'collation', CASE WHEN a.attcollation <> t.typcollation THEN
            (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
             FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
             WHERE co.oid = a.attcollation) END,
        'as_text', tn.nspname NOT IN ('pg_catalog', 'information_schema'))
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid
    JOIN pg_namespace tn ON tn.oid = t.typnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = rel AND a.attnum = num
$f$;

-- What rebuilds a table, or with `num` one of its columns: the columns, the constraints and
-- indexes (all of them, or those on the column), the foreign keys of other tables that point
-- at it, and the sequences its columns own.
CREATE OR REPLACE FUNCTION pgstep_trash.definition(rel oid, num smallint)
RETURNS jsonb LANGUAGE sql STABLE AS $f$
    SELECT jsonb_build_object(
        'columns', (SELECT coalesce(jsonb_agg(pgstep_trash.column_definition(rel, a.attnum)
                                              ORDER BY a.attnum), '[]')
                    FROM pg_attribute a
                    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
                      AND (num IS NULL OR a.attnum = num)),
        'constraints', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'name', k.conname, 'def', pg_get_constraintdef(k.oid),
                            'references', CASE WHEN k.contype = 'f'
                                               THEN k.confrelid::regclass::text END)
                            ORDER BY k.contype = 'f', k.conname), '[]')
                        FROM pg_constraint k
                        WHERE k.conrelid = rel AND k.contype IN ('p', 'u', 'c', 'f', 'x')
                          AND k.conislocal AND (num IS NULL OR num = ANY (k.conkey))),
        'indexes', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'name', ic.relname, 'def', pg_get_indexdef(i.indexrelid))
                        ORDER BY ic.relname), '[]')
                    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                    WHERE i.indrelid = rel
                      AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                                    AND k.conrelid = rel)
                      AND (num IS NULL OR num = ANY (i.indkey)
                           OR EXISTS (SELECT FROM pg_depend d
                                      WHERE d.classid = 'pg_class'::regclass
                                        AND d.objid = i.indexrelid AND d.refobjid = rel
                                        AND d.refobjsubid = num))),
        'referenced_by', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'table', k.conrelid::regclass::text, 'name', k.conname,
                              'def', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
                          FROM pg_constraint k
                          WHERE k.confrelid = rel AND k.contype = 'f' AND k.conrelid <> rel
                            AND (num IS NULL OR num = ANY (k.confkey))),
        'sequences', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'column', a.attname, 'name', s.oid::regclass::text,
                          'identity', d.deptype = 'i', 'type', format_type(q.seqtypid, NULL),
                          'start', q.seqstart, 'increment', q.seqincrement,
                          'min', q.seqmin, 'max', q.seqmax, 'cycle', q.seqcycle,
                          'last_value', pg_sequence_last_value(s.oid))
                          ORDER BY a.attnum), '[]')
                      FROM pg_depend d
                      JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                      JOIN pg_sequence q ON q.seqrelid = s.oid
                      JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = d.refobjsubid
                      WHERE d.classid = 'pg_class'::regclass AND d.refobjid = rel
                        AND d.deptype IN ('a', 'i') AND (num IS NULL OR a.attnum = num)),
        'key', (SELECT coalesce(jsonb_agg(a.attname ORDER BY k.ord), '[]')
                FROM pg_index i
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k.attnum
                WHERE i.indrelid = rel AND i.indisprimary))
$f$;

-- Keeps one relation's rows (those whose (tableoid, ctid) `chosen` selects, when given), or
-- with `col` one column's values beside the table's key, and records it; returns its id.
CREATE OR REPLACE FUNCTION pgstep_trash.keep_relation(
    rel oid, what pgstep_trash.kind, col text, phase text, part text, stmt text, chosen text)
RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
    num smallint;
    def jsonb;
    cols text;
    new_id bigint;
    copy text;
    n bigint;
BEGIN
    IF col IS NOT NULL THEN
        SELECT attnum INTO num FROM pg_attribute
        WHERE attrelid = rel AND attname = col AND attnum > 0 AND NOT attisdropped;
        IF num IS NULL THEN
            RETURN NULL;  -- DROP COLUMN IF EXISTS of a column that is not there
        END IF;
    END IF;
    def := pgstep_trash.definition(rel, num);
    IF col IS NOT NULL THEN
        -- The key is the table's, not the column's: read again without the column filter.
        def := def || jsonb_build_object('key', pgstep_trash.definition(rel, NULL) -> 'key');
        IF def -> 'key' ? col THEN
            def := def || jsonb_build_object('key', '[]'::jsonb);
        END IF;
    END IF;
    SELECT string_agg(CASE WHEN c ->> 'as_text' = 'true'
                           THEN format('%I::text AS %I', c ->> 'name', c ->> 'name')
                           ELSE quote_ident(c ->> 'name') END, ', ' ORDER BY o)
    INTO cols
    FROM jsonb_array_elements(
             CASE WHEN col IS NULL THEN def -> 'columns'
                  ELSE (SELECT coalesce(jsonb_agg(pgstep_trash.column_definition(rel, a.attnum)
                                                       ORDER BY a.attnum), '[]')
                        FROM pg_attribute a
                        WHERE a.attrelid = rel AND a.attname IN
                              (SELECT jsonb_array_elements_text(def -> 'key')))
                       || (def -> 'columns') END) WITH ORDINALITY AS e(c, o);
    INSERT INTO pgstep_trash.kept (kind, schema_name, table_name, column_name, phase, part,
                                   statement, rows, bytes, search_path, definition)
    SELECT what, n2.nspname, cl.relname, col, phase, part, stmt, 0, 0,
           current_setting('search_path'), def
    FROM pg_class cl JOIN pg_namespace n2 ON n2.oid = cl.relnamespace
    WHERE cl.oid = rel
    RETURNING id INTO new_id;
    copy := format('pgstep_trash.%I', 'kept_' || new_id);
    IF chosen IS NULL THEN
        EXECUTE format('CREATE TABLE %s AS SELECT %s FROM %s', copy, coalesce(cols, ''),
                       rel::regclass);
    ELSE
        EXECUTE format('CREATE TABLE %s AS SELECT %s FROM %s WHERE (tableoid, ctid) IN (%s)',
                       copy, coalesce(cols, ''), rel::regclass, chosen);
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE pgstep_trash.kept SET rows = n, bytes = pg_total_relation_size(copy::regclass)
    WHERE id = new_id;
    RETURN new_id;
END
$f$;

-- Keeps what one removal of a statement removes: `what` is 'table', 'column', 'rows',
-- 'cascade' (the rows of a table a TRUNCATE ... CASCADE names, and of every table that
-- references it through foreign keys, which it empties too) or 'schema'; a name that resolves
-- to nothing keeps nothing (the statement's IF EXISTS, or its own error, says the rest).
CREATE OR REPLACE FUNCTION pgstep_trash.keep(
    what text, sch text, name text, col text, phase text, part text, stmt text, chosen text)
RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
    rel oid;
    referencing oid;
BEGIN
    IF what = 'schema' THEN
        FOR rel IN
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = name AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            ORDER BY c.oid
        LOOP
            PERFORM pgstep_trash.keep_relation(rel, 'table', NULL, phase, part, stmt, NULL);
        END LOOP;
        RETURN;
    END IF;
    rel := to_regclass(CASE WHEN sch IS NULL THEN quote_ident(name)
                            ELSE quote_ident(sch) || '.' || quote_ident(name) END);
    IF rel IS NULL OR (SELECT relkind FROM pg_class WHERE oid = rel) NOT IN ('r', 'p') THEN
        RETURN;
    END IF;
    IF what = 'cascade' THEN
        FOR referencing IN
            WITH RECURSIVE refs(oid) AS (
                SELECT rel
                UNION
                SELECT c.conrelid FROM pg_constraint c JOIN refs ON c.confrelid = refs.oid
                WHERE c.contype = 'f' AND c.conparentid = 0
            )
            SELECT refs.oid FROM refs JOIN pg_class c ON c.oid = refs.oid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')
              -- A table this statement already kept (it names several): once is enough.
              AND NOT EXISTS (SELECT 1 FROM pgstep_trash.kept k
                              WHERE NOT k.logged AND k.kind = 'rows' AND k.statement = stmt
                                AND k.phase = keep.phase AND k.part = keep.part
                                AND k.schema_name = n.nspname AND k.table_name = c.relname)
            ORDER BY refs.oid = rel DESC, refs.oid
        LOOP
            PERFORM pgstep_trash.keep_relation(referencing, 'rows', NULL, phase, part, stmt, NULL);
        END LOOP;
        RETURN;
    END IF;
    PERFORM pgstep_trash.keep_relation(rel, what::pgstep_trash.kind, col, phase, part, stmt,
                                        chosen);
END
$f$;
"#;
