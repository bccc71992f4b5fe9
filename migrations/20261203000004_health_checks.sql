-- Organisation health checks, kept per organisation with when the forge was
-- read: a repeat within the installation's time to live asks the forge
-- nothing. `answer` is NULL where the forge said there is no such
-- organisation (a miss is kept too, so repeating one costs nothing).
CREATE TABLE health_organisations (
    forge     text NOT NULL,
    instance  text NOT NULL,
    -- The name in lower case: every forge read here ignores its case.
    login     text NOT NULL,
    -- `primary` or `bytes`: what the languages were read for.
    languages text NOT NULL,
    answer    jsonb,
    read_at   timestamptz NOT NULL,
    PRIMARY KEY (forge, instance, login, languages)
);
