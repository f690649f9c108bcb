SELECT 1;
SELECT /* a
 b */ 2;
-- DOWN
DROP TABLE x;
\connect other
