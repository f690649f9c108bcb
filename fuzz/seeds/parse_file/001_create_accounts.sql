-- Migration: Create accounts
-- Version: 001
-- Date: 2024-01-15
-- Author: ops@example.com
-- Depends: none
-- Goal: Accounts exist, with unique e-mails.
-- Transaction: phase
-- Lock-Timeout: 5s
-- Statement-Timeout: 10min
-- Requires: pgcrypto, citext

-- Step: Tables
CREATE TABLE accounts (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email citext NOT NULL,
    note  text DEFAULT 'it''s new'
);

-- Step: Indexes
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
COMMENT ON TABLE accounts IS '-- DOWN is not a marker here';

-- DOWN
DROP TABLE accounts;

-- VERIFY
-- Check: no duplicate e-mails
-- Expect: empty
SELECT email FROM accounts GROUP BY email HAVING count(*) > 1;
-- Check: table exists
-- Expect: = 1
SELECT count(*) FROM pg_tables WHERE tablename = 'accounts';
