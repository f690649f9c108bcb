//! Splitter throughput over a generated corpus that looks like real migrations: tables with
//! comments, PL/pgSQL functions with dollar-quoted bodies, INSERTs with `''` escapes, indexes,
//! ALTER TABLE, DO blocks and COPY data.
//!
//! Run: `cargo bench --bench split`. The target is at least 200 MB/s on one core.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pgstep::sql::{self, SplitOptions};

/// Size of the generated corpus.
const CORPUS_BYTES: usize = 8 << 20;

/// A small deterministic generator (xorshift), so every run splits the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const NOUNS: &[&str] = &[
    "account",
    "order",
    "invoice",
    "payment",
    "customer",
    "shipment",
    "product",
    "session",
    "audit_log",
    "tenant",
];
const TYPES: &[&str] = &[
    "bigint",
    "integer",
    "text",
    "varchar(255)",
    "timestamptz",
    "numeric(12, 2)",
    "boolean",
    "jsonb",
    "uuid",
];
const WORDS: &[&str] = &[
    "O'Brien's order",
    "it's done",
    "semi;colon",
    "multi\nline",
    "--not a comment",
    "/* not a comment */",
    "$$ not a quote $$",
    "plain",
    "Zürich café",
];

fn create_table(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(out, "-- {t}s, one row per {t}; kept for seven years.").unwrap();
    writeln!(out, "CREATE TABLE IF NOT EXISTS public.{t}_{n} (").unwrap();
    writeln!(
        out,
        "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    )
    .unwrap();
    for c in 0..3 + rng.below(6) {
        let ty = rng.pick(TYPES);
        let null = if rng.below(2) == 0 { " NOT NULL" } else { "" };
        writeln!(out, "    col_{c} {ty}{null}, -- column {c} of {t}").unwrap();
    }
    writeln!(
        out,
        "    \"Created At\" timestamptz NOT NULL DEFAULT now(),\n    \
         CONSTRAINT {t}_{n}_check CHECK (col_0 IS NOT NULL OR id > 0)\n);"
    )
    .unwrap();
    writeln!(
        out,
        "COMMENT ON TABLE public.{t}_{n} IS 'The {t}s; see ''docs/{t}.md''.';\n"
    )
    .unwrap();
}

fn function(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(
        out,
        "CREATE OR REPLACE FUNCTION public.{t}_touch_{n}() RETURNS trigger\n\
         LANGUAGE plpgsql AS $fn$\n\
         DECLARE\n    v_count integer := 0; -- rows seen\n\
         BEGIN\n    /* Keep updated_at current; callers never set it. */\n\
         \x20   NEW.updated_at := now();\n\
         \x20   SELECT count(*) INTO v_count FROM public.{t}_{n} WHERE id = NEW.id;\n\
         \x20   IF v_count > 1 THEN\n\
         \x20       RAISE EXCEPTION 'duplicate {t} %: it''s a bug; $$ is fine here', NEW.id;\n\
         \x20   END IF;\n    RETURN NEW;\nEND;\n$fn$;\n\n\
         CREATE TRIGGER {t}_touch_{n} BEFORE UPDATE ON public.{t}_{n}\n\
         \x20   FOR EACH ROW EXECUTE FUNCTION public.{t}_touch_{n}();\n"
    )
    .unwrap();
}

fn insert(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(
        out,
        "INSERT INTO public.{t}_{n} (col_0, col_1, note) VALUES"
    )
    .unwrap();
    let rows = 4 + rng.below(12);
    for r in 0..rows {
        let w = rng.pick(WORDS).replace('\'', "''");
        let sep = if r + 1 == rows { ";" } else { "," };
        writeln!(
            out,
            "    ({}, '{w}', E'line\\none\\t{r}'){sep}",
            rng.below(1_000_000)
        )
        .unwrap();
    }
    out.push('\n');
}

fn index_and_alter(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(
        out,
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS {t}_{n}_col_1_idx\n\
         \x20   ON public.{t}_{n} USING btree (col_1, (lower(col_2::text))) WHERE col_0 > 0;\n\
         ALTER TABLE public.{t}_{n}\n\
         \x20   ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'new',\n\
         \x20   ADD CONSTRAINT {t}_{n}_status_check CHECK (status IN ('new', 'paid', 'void'));\n\
         ALTER TABLE public.{t}_{n} ALTER COLUMN col_1 SET STATISTICS 500;\n"
    )
    .unwrap();
}

fn do_block(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(
        out,
        "DO $$\nDECLARE\n    r record;\nBEGIN\n\
         \x20   FOR r IN SELECT id FROM public.{t}_{n} WHERE status = 'new' LOOP\n\
         \x20       UPDATE public.{t}_{n} SET status = 'paid' WHERE id = r.id; -- one by one\n\
         \x20   END LOOP;\n\
         \x20   RAISE NOTICE 'done: %', (SELECT count(*) FROM public.{t}_{n});\nEND\n$$;\n"
    )
    .unwrap();
}

fn copy(out: &mut String, rng: &mut Rng, n: u64) {
    let t = rng.pick(NOUNS);
    writeln!(out, "COPY public.{t}_{n} (id, col_1, note) FROM stdin;").unwrap();
    for r in 0..20 + rng.below(40) {
        writeln!(
            out,
            "{r}\t{}\t{}; not a statement\\t'quoted'",
            rng.below(1 << 30),
            rng.pick(NOUNS)
        )
        .unwrap();
    }
    out.push_str("\\.\n\n");
}

/// About `bytes` of SQL, the kinds of statement mixed in proportions seen in migrations.
fn corpus(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut n = 0;
    while out.len() < bytes {
        n += 1;
        match rng.below(10) {
            0 | 1 => create_table(&mut out, &mut rng, n),
            2 | 3 => function(&mut out, &mut rng, n),
            4 | 5 => insert(&mut out, &mut rng, n),
            6 => index_and_alter(&mut out, &mut rng, n),
            7 => do_block(&mut out, &mut rng, n),
            _ => copy(&mut out, &mut rng, n),
        }
    }
    out
}

fn is_marker(comment: &str) -> bool {
    let body = comment[2..].trim();
    body.eq_ignore_ascii_case("down") || body.eq_ignore_ascii_case("verify")
}

fn bench(c: &mut Criterion) {
    let text = corpus(CORPUS_BYTES);
    let statements = sql::split(&text).expect("the generated corpus splits");
    assert!(statements.len() > 10_000, "{} statements", statements.len());
    eprintln!(
        "corpus: {} bytes, {} lines, {} statements",
        text.len(),
        text.lines().count(),
        statements.len()
    );

    let mut group = c.benchmark_group("split");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(50);
    group.measurement_time(std::time::Duration::from_secs(10));
    group.bench_function("split", |b| {
        b.iter(|| sql::split(black_box(&text)).map(|s| s.len()))
    });
    group.bench_function("split_items", |b| {
        b.iter(|| {
            sql::split_items(black_box(&text), 0, SplitOptions::default(), &is_marker)
                .map(|s| s.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
