-- Forge answers kept with their ETag, so asking again sends If-None-Match
-- and an unchanged answer (a 304) costs no rate-limit budget. The key
-- combines the URL with a digest of the credentials that saw the answer.
CREATE TABLE http_cache (
    key       text PRIMARY KEY,
    etag      text NOT NULL,
    body      bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
