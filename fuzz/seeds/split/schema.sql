-- Accounts and their orders.
CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,  -- lower-cased by the app
    "Display Name" text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
/* Orders keep a copy of the price: /* nested */ prices change. */
CREATE TABLE orders (
    id         bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    total      numeric(12, 2) CHECK (total >= 0),
    note       text DEFAULT 'n/a'
);
CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id) WHERE total > 0;
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
COMMENT ON COLUMN orders.note IS 'Free text; may contain ''quotes'' and ; semicolons';
INSERT INTO accounts (email, "Display Name") VALUES ('o''brien@example.com', E'O\'Brien\n'), (U&'d\0061ta@example.com', $$it's; fine$$);
SELECT 1; ; SELECT $1::int, x'1F', b'0101', n'x';
