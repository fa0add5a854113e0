-- Quality control: each week a supervisor reviews a random sample of each agent's closed cases.
-- The sample is stored when first drawn and never redrawn: a case sampled stays sampled, so what
-- was reviewed can be compared week after week. While a week is not over, agents who closed more
-- cases since are topped up to the sample size; once it is over and drawn, `quality_weeks` marks it
-- complete and nothing more is drawn for it.
CREATE TABLE quality_samples (
    country    char(2) NOT NULL,
    week_start date NOT NULL,                 -- the Monday of the week, on the country's clock
    case_id    uuid NOT NULL REFERENCES cases (case_id),
    reference  text NOT NULL,
    agent      text NOT NULL,                 -- who closed the case
    closed_at  timestamptz NOT NULL,
    drawn_at   timestamptz NOT NULL,
    PRIMARY KEY (country, week_start, case_id)
);
CREATE INDEX quality_samples_by_case ON quality_samples (case_id);

CREATE TABLE quality_weeks (
    country    char(2) NOT NULL,
    week_start date NOT NULL,
    drawn_at   timestamptz NOT NULL,
    PRIMARY KEY (country, week_start)
);

-- A supervisor's review of a sampled case: the latest one stands, every one is in the audit log.
CREATE TABLE quality_reviews (
    country     char(2) NOT NULL,
    week_start  date NOT NULL,
    case_id     uuid NOT NULL,
    reviewer    text NOT NULL,
    score       smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text,
    reviewed_at timestamptz NOT NULL,
    PRIMARY KEY (country, week_start, case_id),
    FOREIGN KEY (country, week_start, case_id) REFERENCES quality_samples
);

-- Closures by time, for drawing a week's sample.
CREATE INDEX case_history_closures ON case_history (at)
    WHERE action = 'status_changed' AND detail->>'to_status' = 'closed';
