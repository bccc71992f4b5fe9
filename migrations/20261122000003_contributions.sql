-- A saved query. Its hash names it for good: the spec is never rewritten.
CREATE TABLE queries (
    hash       text PRIMARY KEY,
    spec       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A forge account Tally reads, shared by every query that names it. An
-- empty instance means the installation's configured instance of the forge.
CREATE TABLE identities (
    id         bigserial PRIMARY KEY,
    forge      text NOT NULL,
    instance   text NOT NULL,
    username   text NOT NULL,
    state      text NOT NULL DEFAULT 'unknown'
               CHECK (state IN ('unknown', 'ok', 'not_found', 'failed')),
    problem    text,
    checked_at timestamptz,
    UNIQUE (forge, instance, username)
);

-- One row per forge item and kind, for the identity it counts for.
CREATE TABLE contributions (
    identity_id        bigint NOT NULL REFERENCES identities ON DELETE CASCADE,
    kind               text NOT NULL,
    item_id            text NOT NULL,
    status             text,
    repository         text NOT NULL,
    title              text NOT NULL,
    url                text NOT NULL,
    occurred_at        timestamptz NOT NULL,
    utc_offset_minutes integer,
    PRIMARY KEY (identity_id, kind, item_id)
);

-- Newest first per identity: the order of the list and of its keyset pages.
CREATE INDEX contributions_newest_first
    ON contributions (identity_id, occurred_at DESC, kind DESC, item_id DESC);

-- Which UTC days of an identity are fetched, and when: a query fetches only
-- the days missing here, and recent days once they are older than allowed.
CREATE TABLE coverage (
    identity_id bigint NOT NULL REFERENCES identities ON DELETE CASCADE,
    day         date NOT NULL,
    fetched_at  timestamptz NOT NULL,
    PRIMARY KEY (identity_id, day)
);
