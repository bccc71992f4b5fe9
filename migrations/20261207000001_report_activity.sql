-- What repository reports read beyond issues: each tracked repository's
-- pull/merge requests (Gerrit changes, Differential revisions), their
-- reviews, and the commits of its default branch, kept by the tracker's
-- sync with watermarks of their own.

ALTER TABLE tracked_repositories
    -- On the forge's clock, as `watermark` is for issues.
    ADD COLUMN changes_watermark timestamptz,
    ADD COLUMN commits_watermark timestamptz,
    -- Why the forge keeps no such list for this repository (Gerrit has no
    -- commit list); null when it was read.
    ADD COLUMN changes_unavailable text,
    ADD COLUMN commits_unavailable text;

CREATE TABLE tracked_changes (
    repository_id bigint NOT NULL REFERENCES tracked_repositories ON DELETE CASCADE,
    number        bigint NOT NULL,
    title         text NOT NULL,
    url           text NOT NULL,
    author        text,
    state         text NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    merged_at     timestamptz,
    closed_at     timestamptz,
    PRIMARY KEY (repository_id, number)
);

-- Reviews come in lists of their own on some forges (GitLab's events), so
-- a review may be stored before the change it reviews is listed again.
CREATE TABLE change_reviews (
    repository_id bigint NOT NULL REFERENCES tracked_repositories ON DELETE CASCADE,
    change_number bigint NOT NULL,
    id            text NOT NULL,
    reviewer      text,
    verdict       text NOT NULL CHECK (verdict IN ('approved', 'changes_requested', 'commented')),
    submitted_at  timestamptz NOT NULL,
    PRIMARY KEY (repository_id, id)
);

CREATE INDEX change_reviews_by_time ON change_reviews (repository_id, submitted_at);

CREATE TABLE tracked_commits (
    repository_id bigint NOT NULL REFERENCES tracked_repositories ON DELETE CASCADE,
    sha           text NOT NULL,
    author        text,
    authored_at   timestamptz NOT NULL,
    title         text NOT NULL,
    url           text NOT NULL,
    PRIMARY KEY (repository_id, sha)
);

CREATE INDEX tracked_commits_by_time ON tracked_commits (repository_id, authored_at);
