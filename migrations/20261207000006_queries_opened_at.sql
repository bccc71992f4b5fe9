-- When a query was last created or opened: queries nobody opened for
-- `--forget-after-days` are forgotten, so what anonymous visitors can make
-- the server store stays bounded.
ALTER TABLE queries ADD COLUMN opened_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX queries_opened_at ON queries (opened_at);
