-- A repeated message's text was stored here but never read: one more copy of
-- what someone wrote, for nobody. Its text stays with intake, like every message's.
ALTER TABLE case_feedback DROP COLUMN narrative;
