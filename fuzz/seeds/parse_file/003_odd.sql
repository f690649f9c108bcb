-- no-transaction
-- Version: 1.10
VACUUM accounts;
-- Check: misplaced
-- DOWN
-- DOWN
