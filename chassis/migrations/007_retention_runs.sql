-- One row per step of a retention run (chassis/retention.py): which kind, in which country (NULL: a
-- kind that is not per country), how many rows were deleted or anonymised, older than what, and when.
-- Counts and names only: never a row's content.
CREATE TABLE retention_runs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    country       char(2),
    rows_affected integer NOT NULL,
    cutoff        timestamptz NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retention_runs_latest ON retention_runs (kind, finished_at DESC);
-- The generic kinds select by these times.
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX processed_messages_at ON processed_messages (processed_at);
