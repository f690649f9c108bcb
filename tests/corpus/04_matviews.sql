-- Reporting: materialized views refreshed concurrently need a unique index.

CREATE TABLE sales (
    id       bigserial PRIMARY KEY,
    region   text NOT NULL,
    sold_on  date NOT NULL,
    amount   numeric NOT NULL
);

INSERT INTO sales (region, sold_on, amount)
SELECT (ARRAY['north', 'south', 'east;west'])[1 + i % 3],
       date '2024-01-01' + i % 60,
       (i * 7) % 100
FROM generate_series(1, 500) AS s(i);

CREATE MATERIALIZED VIEW sales_daily AS
SELECT region,
       sold_on,
       sum(amount)  AS total,   -- ; in a comment
       count(*)     AS n
FROM sales
GROUP BY region, sold_on
WITH DATA;

-- Without this index REFRESH ... CONCURRENTLY fails.
CREATE UNIQUE INDEX sales_daily_key ON sales_daily (region, sold_on);

CREATE MATERIALIZED VIEW sales_monthly AS
    SELECT region, date_trunc('month', sold_on)::date AS month, sum(total) AS total
    FROM sales_daily
    GROUP BY 1, 2
WITH NO DATA;

CREATE UNIQUE INDEX sales_monthly_key ON sales_monthly (region, month);
REFRESH MATERIALIZED VIEW sales_monthly;
REFRESH MATERIALIZED VIEW CONCURRENTLY sales_daily;
REFRESH MATERIALIZED VIEW CONCURRENTLY sales_monthly;

COMMENT ON MATERIALIZED VIEW sales_daily IS 'one row per region and day; refreshed hourly';

ANALYZE sales_daily; ANALYZE sales_monthly;
