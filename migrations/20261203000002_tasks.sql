-- Discovery's tasks as people and the API see them, the periodic schedule,
-- and personal API tokens. The queue itself (what a worker takes, retries,
-- heartbeats) is underway's; a run here is what it did and how far it got,
-- which is also where a resumed run starts again.

CREATE TABLE task_runs (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,
    parameters      jsonb NOT NULL,
    -- queued, running, deferred (waiting for a rate-limit reset),
    -- succeeded, failed.
    state           text NOT NULL DEFAULT 'queued',
    -- Steps finished: a resumed run skips them.
    done            integer NOT NULL DEFAULT 0,
    -- Steps known so far (grows as a run learns what it must read).
    total           integer NOT NULL DEFAULT 1,
    step            text,
    error           text,
    -- A scraper's profile syncs are its children.
    parent_id       bigint REFERENCES task_runs ON DELETE CASCADE,
    -- Who asked: `schedule`, `user:<id>` or `token:<id>`.
    requested_by    text NOT NULL,
    deferred_until  timestamptz,
    -- How many times a worker started it (once, unless it was resumed),
    -- and how many of those failed in a way worth retrying.
    starts          integer NOT NULL DEFAULT 0,
    failures        integer NOT NULL DEFAULT 0,
    -- The process that started it last (host and process id).
    worker          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE INDEX task_runs_recent ON task_runs (id DESC) WHERE parent_id IS NULL;
CREATE INDEX task_runs_children ON task_runs (parent_id, id);

-- Periodic work: one row per schedule. A process runs a schedule's work
-- only after moving `next_at` on in one UPDATE, so one run per period
-- happens across every process on the database.
CREATE TABLE schedules (
    name         text PRIMARY KEY,
    every_secs   bigint NOT NULL,
    next_at      timestamptz NOT NULL,
    last_run_at  timestamptz,
    -- Which process ran it last (host and pid).
    last_run_by  text,
    runs         bigint NOT NULL DEFAULT 0
);

-- Personal API tokens: only a SHA-256 of each is kept; the token itself is
-- shown once, when it is made.
CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    name          text NOT NULL,
    digest        bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

-- When a developer's profile last answered 404 (deleted, or renamed away):
-- the frontier passes them over until they go stale again.
ALTER TABLE developers ADD COLUMN gone_at timestamptz;
