-- When a query last fetched or opened an identity: the cached days of one
-- no query has used for `--forget-after-days` are forgotten (the queries
-- stay, and fetch them again when opened).
ALTER TABLE identities ADD COLUMN used_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX identities_used_at ON identities (used_at);
