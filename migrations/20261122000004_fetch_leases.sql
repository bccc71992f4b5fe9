-- Which process is fetching an identity, until when: a process claims the
-- lease before fetching and renews it with each piece it stores, so two
-- processes never fetch one identity at once, and a crashed one's lease
-- simply runs out.
ALTER TABLE identities ADD COLUMN fetch_lease_until timestamptz;
