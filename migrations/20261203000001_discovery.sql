-- Discovery: developers and repositories found by following people from
-- seeds, the edges between them, and what the REST API serves. Rows are
-- keyed by the forge's own ids, so a renamed login or repository stays the
-- same row.

CREATE TABLE developers (
    id            bigserial PRIMARY KEY,
    forge         text NOT NULL,
    instance      text NOT NULL,
    forge_id      text NOT NULL,
    login         text NOT NULL,
    name          text,
    location      text,
    company       text,
    bio           text,
    email         text,
    created_at    timestamptz,
    updated_at    timestamptz,
    followers     bigint,
    following     bigint,
    public_repos  bigint,
    public_gists  bigint,
    -- Hops from the nearest seed (0 for a seed); the crawler goes nearest first.
    distance      integer,
    -- When the profile itself was read, and when a full profile sync (its
    -- followers, following, stars and repositories) last finished.
    profiled_at   timestamptz,
    synced_at     timestamptz,
    found_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (forge, instance, forge_id)
);

CREATE INDEX developers_login ON developers (forge, instance, lower(login));
CREATE INDEX developers_followers ON developers ((coalesce(followers, -1)), id);
CREATE INDEX developers_frontier ON developers (distance, synced_at NULLS FIRST, id);

CREATE TABLE repositories (
    id            bigserial PRIMARY KEY,
    forge         text NOT NULL,
    instance      text NOT NULL,
    forge_id      text NOT NULL,
    owner_id      bigint REFERENCES developers ON DELETE SET NULL,
    owner_login   text NOT NULL,
    name          text NOT NULL,
    description   text,
    homepage      text,
    language      text,
    topics        text[] NOT NULL DEFAULT '{}',
    fork          boolean NOT NULL DEFAULT false,
    archived      boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    stars         bigint NOT NULL DEFAULT 0,
    watchers      bigint NOT NULL DEFAULT 0,
    forks         bigint NOT NULL DEFAULT 0,
    open_issues   bigint NOT NULL DEFAULT 0,
    created_at    timestamptz,
    updated_at    timestamptz,
    pushed_at     timestamptz,
    synced_at     timestamptz,
    found_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (forge, instance, forge_id)
);

CREATE INDEX repositories_owner ON repositories (owner_id);
CREATE INDEX repositories_stars ON repositories (stars, id);
CREATE INDEX repositories_name ON repositories (lower(owner_login), lower(name));

-- Who follows whom: follower -> followed.
CREATE TABLE follows (
    follower_id  bigint NOT NULL REFERENCES developers ON DELETE CASCADE,
    followed_id  bigint NOT NULL REFERENCES developers ON DELETE CASCADE,
    seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followed_id)
);

CREATE INDEX follows_followed ON follows (followed_id, follower_id);

-- Who starred what, and when where the forge says.
CREATE TABLE stars (
    developer_id   bigint NOT NULL REFERENCES developers ON DELETE CASCADE,
    repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
    starred_at     timestamptz,
    seen_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (developer_id, repository_id)
);

CREATE INDEX stars_repository ON stars (repository_id, developer_id);

-- What each forge last said of its rate limit, per token (by a hash of it)
-- and budget: any process reads it before spending.
CREATE TABLE rate_limits (
    forge      text NOT NULL,
    instance   text NOT NULL,
    token_key  text NOT NULL,
    bucket     text NOT NULL,
    "limit"    bigint NOT NULL,
    remaining  bigint NOT NULL,
    reset_at   timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forge, instance, token_key, bucket)
);
