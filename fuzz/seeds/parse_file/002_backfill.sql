-- Migration: Backfill status
-- Depends: 001
-- Transaction: none
-- Lock-Timeout: 500ms

-- Step: Column
ALTER TABLE orders ADD COLUMN status text;
-- Step: Backfill
DO $$
BEGIN
    LOOP
        UPDATE orders SET status = 'new'
        WHERE id IN (SELECT id FROM orders WHERE status IS NULL LIMIT 10000);
        EXIT WHEN NOT FOUND;
        COMMIT;
    END LOOP;
END
$$;
CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
COPY lookup (code, label) FROM stdin;
a	Alpha
\.

-- DOWN
DROP INDEX CONCURRENTLY orders_status_idx;
ALTER TABLE orders DROP COLUMN status;

-- VERIFY
-- Check: backfilled
-- Expect: true
SELECT NOT EXISTS (SELECT 1 FROM orders WHERE status IS NULL);
-- Check: ratio
-- Expect: >= 0.5
SELECT avg((status = 'new')::int) FROM orders;
