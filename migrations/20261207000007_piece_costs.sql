-- What fetching pieces of accounts' days (runs of up to 92 days) cost, in
-- requests, summed per forge instance (an empty instance is the configured
-- one). Their average prices a query's fetch before it starts. One row per
-- forge instance.
CREATE TABLE piece_costs (
    forge    text   NOT NULL,
    instance text   NOT NULL,
    pieces   bigint NOT NULL,
    requests bigint NOT NULL,
    PRIMARY KEY (forge, instance)
);
