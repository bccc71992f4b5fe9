-- The issue tracker: people who signed in, their forge accounts, the
-- repositories they subscribe to, and those repositories' tracker items
-- and comments, kept current by background jobs (in the `underway`
-- schema, which underway migrates itself; sessions live in the
-- `tower_sessions` schema, likewise).

-- A person who signed in with a forge. Everything else hangs off this id.
CREATE TABLE users (
    id         bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A forge account linked to a person. Its OAuth tokens are sealed with the
-- installation's key (engine::secrets) and never stored in clear.
CREATE TABLE linked_accounts (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    forge           text NOT NULL,
    instance        text NOT NULL,
    -- The forge's own id for the account: usernames can change.
    forge_user_id   text NOT NULL,
    username        text NOT NULL,
    display_name    text,
    access_token    bytea NOT NULL,
    refresh_token   bytea,
    expires_at      timestamptz,
    -- Why the token no longer works (revoked, expired); null while it does.
    problem         text,
    -- When the repositories it may read were last listed from the forge.
    repos_listed_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (forge, instance, forge_user_id)
);

CREATE INDEX linked_accounts_of_user ON linked_accounts (user_id);

-- The repositories a linked account may read, as the forge last listed them.
CREATE TABLE account_repositories (
    account_id  bigint NOT NULL REFERENCES linked_accounts ON DELETE CASCADE,
    path        text NOT NULL,
    url         text NOT NULL,
    private     boolean NOT NULL,
    description text,
    PRIMARY KEY (account_id, path)
);

-- A repository whose tracker Tally keeps, shared by everyone subscribed.
CREATE TABLE tracked_repositories (
    id                bigserial PRIMARY KEY,
    forge             text NOT NULL,
    instance          text NOT NULL,
    path              text NOT NULL,
    url               text NOT NULL,
    private           boolean NOT NULL DEFAULT false,
    -- On the forge's clock: every item updated before it is stored. The
    -- next sync asks for items updated since it (less an overlap).
    watermark         timestamptz,
    last_full_sync_at timestamptz,
    last_synced_at    timestamptz,
    -- Set while a sync runs (and left by a process that died mid-sync,
    -- until its job is picked up again).
    sync_started_at   timestamptz,
    last_error        text,
    UNIQUE (forge, instance, path)
);

-- Who follows which repository. A private repository's items show only to
-- subscribers whose own token can read it: `lost_access` says why not.
CREATE TABLE subscriptions (
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    repository_id bigint NOT NULL REFERENCES tracked_repositories ON DELETE CASCADE,
    -- The account that proved access when subscribing (private ones).
    account_id    bigint REFERENCES linked_accounts ON DELETE SET NULL,
    lost_access   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, repository_id)
);

CREATE INDEX subscriptions_of_repository ON subscriptions (repository_id);

-- One row per tracker item (issue, task, Gerrit change) of a repository.
CREATE TABLE tracked_issues (
    repository_id bigint NOT NULL REFERENCES tracked_repositories ON DELETE CASCADE,
    number        bigint NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL,
    url           text NOT NULL,
    status        text NOT NULL,
    author        text,
    labels        text[] NOT NULL,
    assignees     text[] NOT NULL,
    -- The rows in issue_comments for it: a count that can be traced.
    comments      integer NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    closed_at     timestamptz,
    search        tsvector GENERATED ALWAYS AS
                  (to_tsvector('simple', title || ' ' || body)) STORED,
    PRIMARY KEY (repository_id, number)
);

-- Newest activity first: the list's order and its keyset pages.
CREATE INDEX tracked_issues_newest
    ON tracked_issues (updated_at DESC, repository_id DESC, number DESC);
CREATE INDEX tracked_issues_search ON tracked_issues USING gin (search);
CREATE INDEX tracked_issues_labels ON tracked_issues USING gin (labels);
CREATE INDEX tracked_issues_assignees ON tracked_issues USING gin (assignees);

CREATE TABLE issue_comments (
    repository_id bigint NOT NULL,
    issue_number  bigint NOT NULL,
    id            text NOT NULL,
    author        text,
    body          text NOT NULL,
    url           text,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (repository_id, issue_number, id),
    FOREIGN KEY (repository_id, issue_number)
        REFERENCES tracked_issues (repository_id, number) ON DELETE CASCADE
);
