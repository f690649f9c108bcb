-- Seed data loaded with COPY ... FROM stdin, as pg_dump writes it.

CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL, note text);

COPY countries (code, name, note) FROM stdin;
AD	Andorra	\N
FR	France	semi;colon; in data
GB	United Kingdom	it's quoted 'here'
NL	Netherlands	-- not a comment
US	United States	/* not a comment either
XX	\\.x	a backslash-dot that is not the end
\.

CREATE TABLE currencies (code char(3) PRIMARY KEY, name text);

copy currencies from stdin with (format csv, header true);
code,name
EUR,"Euro; the common currency"
USD,"US dollar ""greenback"""
\.X,"a line that starts with \. but is not the end"
\.

-- TO stdout sends data the other way: nothing follows it in the file.
COPY (SELECT code FROM countries WHERE code <> 'XX') TO stdout;

COPY countries FROM STDIN;
\.
SELECT count(*) FROM countries; SELECT count(*) FROM currencies;
