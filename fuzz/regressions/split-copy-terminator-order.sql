COPY t FROM stdin;
\.
