-- Every event reporting has consumed, pseudonymised: the source from which the search index can
-- be rebuilt without asking other services. Free text is stored scrubbed of phone numbers, emails
-- and identity numbers; contact refs are dropped.
CREATE TABLE journal (
    seq          bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    event_type   text NOT NULL,
    country      char(2) NOT NULL,
    occurred_at  timestamptz NOT NULL,
    reference    text,
    envelope     jsonb NOT NULL
);
CREATE INDEX journal_reference ON journal (reference);

-- Weekly and monthly reports, generated on schedule and kept.
CREATE TABLE reports (
    report_id     uuid PRIMARY KEY,
    scope         text NOT NULL,          -- a country code, or 'region' for every configured country
    period        text NOT NULL,          -- 'day', 'week' or 'month'
    period_start  date NOT NULL,
    generated_at  timestamptz NOT NULL,
    body          jsonb NOT NULL,        -- the Report contract
    hxl           text NOT NULL,         -- its HXL CSV, counted when the report was made
    UNIQUE (scope, period, period_start)
);
