SET standard_conforming_strings = off;
INSERT INTO t VALUES ('back\'slash');
SET standard_conforming_strings = on;
COPY public.accounts (id, email) FROM stdin;
1	alice@example.com
2	bob@example.com;not a terminator
\.
COPY orders FROM STDIN WITH (FORMAT csv);
1,1,"9.99"
\.
SELECT count(*) FROM accounts;
