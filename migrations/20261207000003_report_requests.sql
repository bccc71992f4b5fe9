-- A public repository nobody subscribes to, kept because a signed-in person
-- asked for its report: kept and synced until `report_until` (each report
-- on it moves that on), then forgotten like any repository nobody follows.
ALTER TABLE tracked_repositories
    ADD COLUMN report_until timestamptz,
    ADD COLUMN report_requested_by bigint REFERENCES users ON DELETE SET NULL,
    ADD COLUMN report_requested_at timestamptz;

CREATE INDEX tracked_repositories_report_requests
    ON tracked_repositories (report_requested_by, report_requested_at)
    WHERE report_requested_by IS NOT NULL;
