#!/usr/bin/env python3
"""Writes COUNT native pgstep migrations (about 2 KB each) into DIR, for benches/plan.sh.

Each file has the full header, two or three steps, a DOWN part and a VERIFY section with
checks; the SQL mixes tables, PL/pgSQL functions, indexes, INSERTs, DO blocks and COPY data.
The output depends only on COUNT, so runs are comparable.

Usage: benches/gen_plan.py COUNT DIR
"""

import os
import random
import sys

NOUNS = ["account", "order", "invoice", "payment", "customer", "shipment",
         "product", "session", "audit_log", "tenant"]
TYPES = ["bigint", "integer", "text", "varchar(255)", "timestamptz",
         "numeric(12, 2)", "boolean", "jsonb", "uuid"]


def table(rng, t):
    cols = "\n".join(
        f"    col_{c} {rng.choice(TYPES)}{' NOT NULL' if rng.random() < 0.5 else ''},"
        f" -- column {c}"
        for c in range(3 + rng.randrange(5)))
    return (f"-- {t}s, one row per {t}.\n"
            f"CREATE TABLE {t} (\n"
            f"    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"{cols}\n"
            f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n"
            f"COMMENT ON TABLE {t} IS 'The {t}s; see ''docs/{t}.md''.';\n")


def function(t):
    return (f"CREATE OR REPLACE FUNCTION {t}_touch() RETURNS trigger\n"
            f"LANGUAGE plpgsql AS $fn$\nBEGIN\n"
            f"    NEW.updated_at := now(); -- callers never set it\n"
            f"    IF NEW.id IS NULL THEN\n"
            f"        RAISE EXCEPTION 'no id for {t}: it''s a bug';\n"
            f"    END IF;\n    RETURN NEW;\nEND;\n$fn$;\n"
            f"CREATE TRIGGER {t}_touch BEFORE UPDATE ON {t}\n"
            f"    FOR EACH ROW EXECUTE FUNCTION {t}_touch();\n")


def index(t):
    return (f"CREATE INDEX {t}_col_1_idx ON {t} (col_1) WHERE col_0 IS NOT NULL;\n"
            f"ALTER TABLE {t} ADD COLUMN status text NOT NULL DEFAULT 'new';\n")


def data(rng, t):
    rows = ",\n".join(f"    ({rng.randrange(10**6)}, 'O''Brien #{r}')"
                      for r in range(2 + rng.randrange(4)))
    copy = "".join(f"{r}\t{rng.randrange(2**30)}\tnote {r}; fine\n"
                   for r in range(3 + rng.randrange(5)))
    return (f"INSERT INTO {t} (col_0, col_1) VALUES\n{rows};\n"
            f"DO $$\nBEGIN\n    UPDATE {t} SET status = 'paid' WHERE col_0 > 0;\nEND\n$$;\n"
            f"COPY {t} (id, col_0, col_1) FROM stdin;\n{copy}\\.\n")


def migration(rng, i):
    t = f"{rng.choice(NOUNS)}_{i}"
    depends = f"{rng.randrange(1, i):05}" if i > 1 else "none"
    up = (f"-- Step: Create {t}\n{table(rng, t)}\n"
          f"-- Step: Trigger\n{function(t)}\n"
          f"-- Step: Index and data\n{index(t)}{data(rng, t)}\n")
    down = (f"-- DOWN\nDROP TRIGGER IF EXISTS {t}_touch ON {t};\n"
            f"DROP FUNCTION IF EXISTS {t}_touch();\nDROP TABLE IF EXISTS {t};\n\n")
    verify = (f"-- VERIFY\n-- Check: {t} exists\n-- Expect: = 1\n"
              f"SELECT count(*) FROM pg_tables WHERE tablename = '{t}';\n"
              f"-- Check: no orphans\n-- Expect: empty\n"
              f"SELECT id FROM {t} WHERE col_0 IS NULL AND status <> 'new';\n")
    header = (f"-- Migration: Create {t}\n-- Date: 2026-11-21\n"
              f"-- Author: bench@example.com\n-- Depends: {depends}\n"
              f"-- Goal: {t} exists with its trigger and index.\n"
              f"-- Transaction: phase\n-- Lock-Timeout: 5s\n"
              f"-- Statement-Timeout: 10min\n\n")
    return f"{i:05}_create_{t}.sql", header + up + down + verify


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    count, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261121)
    total = 0
    for i in range(1, count + 1):
        name, text = migration(rng, i)
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)
        total += len(text.encode())
    print(f"{count} migrations, {total} bytes in {out}")


if __name__ == "__main__":
    main()
