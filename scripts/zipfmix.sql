-- zipfmix.sql: the long-tail search mix of scripts/scale.sh. Writes :k
-- distinct list-page query strings (unescaped, parameters in the order of
-- the page's canonical URL), one a line, made from the registry's own
-- certificates: holder-name fragments of every length (one character to
-- the full name), two terms, cities and provinces, number prefixes, tails
-- of numbers, credit codes, filters with and without a term, deeper pages,
-- and fragments of two names joined (mostly absent). scale.sh asks for
-- them with a Zipf-like frequency (the line's rank r is asked about as
-- often as 1/r), so that the search result cache hits at the rate a
-- long-tailed query log gives it, not at the rate of a mix that repeats.
--
--   sqlite3 -readonly -batch DB -cmd '.parameter set :k 50000' < scripts/zipfmix.sql
--
-- The certificates are drawn by a fixed hash of the line number, so a
-- registry always gives the same mix.
WITH
total(n) AS (SELECT max(id) FROM certificates),
pick(i, id, r) AS (
	SELECT value, 1 + (value * 2654435761) % (SELECT n FROM total),
		(value * 2246822519 + 97) % 4294967291
	FROM generate_series(1, :k)
),
s AS (
	SELECT p.i, p.r, c.holder_name AS n, length(c.holder_name) AS len, c.number AS num,
		c.holder_credit_code AS code, c.province AS prov, c.city AS city,
		lag(c.holder_name, 1, c.holder_name) OVER (ORDER BY p.i) AS n2,
		(p.r / 20) % length(c.holder_name) AS off
	FROM pick p JOIN certificates c ON c.id = p.id
),
q(i, line) AS (
	SELECT i, CASE r % 20
		WHEN 0 THEN 'q=' || n
		WHEN 1 THEN 'q=' || n
		WHEN 2 THEN 'q=' || substr(n, 1 + off, 2)
		WHEN 3 THEN 'q=' || substr(n, 1 + off, 3)
		WHEN 4 THEN 'q=' || substr(n, 1 + off, 4)
		WHEN 5 THEN 'q=' || substr(n, 1 + off, 5 + (r / 7) % 4)
		WHEN 6 THEN 'q=' || substr(n, 1 + off % 3, 9 + (r / 7) % 8)
		WHEN 7 THEN 'q=' || substr(n, 1, 2 + (r / 7) % 6)
		WHEN 8 THEN 'q=' || substr(n, 1 + off, 1)
		WHEN 9 THEN 'q=' || city
		WHEN 10 THEN 'q=' || substr(n, 1 + off, 2 + (r / 7) % 3) || '&province=' || prov
		WHEN 11 THEN 'q=' || substr(num, 1, 4 + (r / 7) % 6)
		WHEN 12 THEN 'q=' || substr(num, 1, length(num) - 1)
		WHEN 13 THEN 'q=' || code
		WHEN 14 THEN 'q=' || substr(n, 1 + off % 4, 2) || ' ' || substr(n, length(n) - 3 - (r / 7) % 4, 2)
		WHEN 15 THEN 'q=' || substr(n, 1 + off, 2) || substr(n2, 1 + (r / 7) % length(n2), 2)
		WHEN 16 THEN CASE (r / 7) % 4
			WHEN 0 THEN 'status=valid&city=' || city
			WHEN 1 THEN 'level=' || CASE (r / 29) % 4 WHEN 0 THEN 'five-star' WHEN 1 THEN 'four-star' WHEN 2 THEN 'three-star' ELSE 'pass' END || '&city=' || city
			WHEN 2 THEN 'status=valid&province=' || prov
			ELSE 'status=expired&province=' || prov END
		WHEN 17 THEN 'q=' || substr(n, 1 + off, 2 + (r / 7) % 4) || '&status=valid'
		WHEN 18 THEN 'q=' || substr(n, 1 + off, 2 + (r / 7) % 3) || '&page=' || (2 + (r / 11) % 4)
		ELSE 'q=' || substr(num, 3, 5 + (r / 7) % 3)
	END
	FROM s
)
-- A line made twice (a common fragment drawn again) keeps its first rank.
SELECT line FROM q GROUP BY line ORDER BY min(i);
