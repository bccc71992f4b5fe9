-- One row describing this Tally installation. Its id is stable for the life
-- of the database, so logs and exports from one installation can be told apart.
CREATE TABLE instance (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO instance DEFAULT VALUES;
