-- A number that moves with every committed change to discovery's tables,
-- so an exact count computed under one value holds until it moves: the
-- REST API's lists cache their counts by it instead of counting a million
-- rows on every page.
CREATE TABLE discovery_generation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    n bigint NOT NULL
);
INSERT INTO discovery_generation VALUES (true, 0);

-- Fires at commit time (deferred), once per transaction: the row lock is
-- taken after every other lock the transaction holds, so writers cannot
-- deadlock on it, and readers see the new value exactly when they see the
-- rows that moved it.
CREATE FUNCTION discovery_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tally.discovery_changed', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('tally.discovery_changed', txid_current()::text, true);
        UPDATE discovery_generation SET n = n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER developers_changed AFTER INSERT OR UPDATE OR DELETE ON developers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION discovery_changed();
CREATE CONSTRAINT TRIGGER repositories_changed AFTER INSERT OR UPDATE OR DELETE ON repositories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION discovery_changed();
CREATE CONSTRAINT TRIGGER follows_changed AFTER INSERT OR UPDATE OR DELETE ON follows
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION discovery_changed();
CREATE CONSTRAINT TRIGGER stars_changed AFTER INSERT OR UPDATE OR DELETE ON stars
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION discovery_changed();

-- TRUNCATE fires no row triggers.
CREATE FUNCTION discovery_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE discovery_generation SET n = n + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER developers_truncated AFTER TRUNCATE ON developers
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_truncated();
CREATE TRIGGER repositories_truncated AFTER TRUNCATE ON repositories
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_truncated();
CREATE TRIGGER follows_truncated AFTER TRUNCATE ON follows
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_truncated();
CREATE TRIGGER stars_truncated AFTER TRUNCATE ON stars
    FOR EACH STATEMENT EXECUTE FUNCTION discovery_truncated();
