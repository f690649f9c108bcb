-- Orders, partitioned by month, with enum states.
-- Nothing here may run inside a transaction block: see the index at the end.

/*
 * Status values. Adding a value later needs ALTER TYPE ... ADD VALUE,
 * which cannot be undone; keep the list short; think twice.
 */
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');

CREATE TYPE shipping_speed AS ENUM (
    'standard',  -- the default; 3-5 days
    'express',   /* next day; costs extra */
    'same_day'
);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    placed_at   timestamptz NOT NULL DEFAULT now(),
    status      order_status NOT NULL DEFAULT 'new',
    speed       shipping_speed NOT NULL DEFAULT 'standard',
    note        text CHECK (note IS NULL OR note <> ''), -- empty notes are NULL
    PRIMARY KEY (id, placed_at)
) PARTITION BY RANGE (placed_at);

COMMENT ON TABLE orders IS 'Orders; partitioned by month (see orders_YYYY_MM).';

CREATE TABLE orders_2024_01 PARTITION OF orders
    FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE orders_2024_02 PARTITION OF orders
    FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE orders_default PARTITION OF orders DEFAULT;

-- A partitioned index is created on every partition.
CREATE INDEX orders_status_idx ON orders (status) WHERE status <> 'cancelled';

ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded' AFTER 'shipped';

CREATE TABLE order_lines (
    order_id   bigint NOT NULL,
    placed_at  timestamptz NOT NULL,
    sku        text NOT NULL,
    qty        int NOT NULL CHECK (qty > 0),
    FOREIGN KEY (order_id, placed_at) REFERENCES orders (id, placed_at)
);

-- CONCURRENTLY: one statement per transaction, no BEGIN around it.
CREATE INDEX CONCURRENTLY order_lines_sku_idx
    ON order_lines (sku);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS order_lines_key
    ON order_lines (order_id, placed_at, sku)
-- the last statement has no semicolon
