-- A sync put off because its share of the forge's rate limit was spent:
-- the planner queues it again at `resume_at` (the budget's reset) instead
-- of waiting out the whole sync interval.
ALTER TABLE tracked_repositories ADD COLUMN resume_at timestamptz;
