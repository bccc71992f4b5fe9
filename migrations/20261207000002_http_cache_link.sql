-- A kept answer's `link` header: a 304 need not repeat it, and without it
-- a list read again from the cache would end at its first page.
ALTER TABLE http_cache ADD COLUMN link text;
