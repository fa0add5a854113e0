-- Classification, workflow, deadlines, timeline and audit of cases.
ALTER TABLE cases
    ADD COLUMN sub_category text,
    ADD COLUMN taxonomy_version integer,
    ADD COLUMN classification_confirmed boolean NOT NULL DEFAULT false,
    ADD COLUMN classified_by text,
    ADD COLUMN classified_at timestamptz,
    ADD COLUMN suggestion_confidence real,
    ADD COLUMN assignee text,
    ADD COLUMN team text,
    ADD COLUMN resolution text,
    ADD COLUMN response text,
    ADD COLUMN response_channel text,
    ADD COLUMN no_contact_reason text,
    ADD COLUMN duplicate_of text,
    ADD COLUMN updated_at timestamptz,
    -- The agents' queue: the most urgent open deadline (far future when none) and the worst state.
    ADD COLUMN queue_due_at timestamptz NOT NULL DEFAULT '9999-12-31T00:00:00Z',
    ADD COLUMN deadline_state text NOT NULL DEFAULT 'ok';
DROP INDEX cases_queue;
CREATE INDEX cases_queue ON cases (country, queue_due_at, case_id);

-- One row per deadline kind of a case; the timer scans the unsettled ones.
CREATE TABLE deadlines (
    case_id        uuid NOT NULL REFERENCES cases (case_id),
    kind           text NOT NULL,
    on_the_clock   boolean NOT NULL,
    duration       interval NOT NULL,
    started_at     timestamptz NOT NULL,
    due_at         timestamptz,          -- NULL while paused
    warn_at        timestamptz,
    paused_at      timestamptz,
    remaining      interval,             -- business time left when paused
    warn_remaining interval,
    warned_at      timestamptz,          -- set in the transaction that emits DeadlineWarning: fires once
    breached_at    timestamptz,          -- same for DeadlineBreached
    settled_at     timestamptz,
    within_deadline boolean,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX deadlines_due ON deadlines (due_at) WHERE settled_at IS NULL;

-- The timeline: one row per change, in order.
CREATE TABLE case_history (
    id        bigserial PRIMARY KEY,
    case_id   uuid NOT NULL REFERENCES cases (case_id),
    version   integer NOT NULL,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_history_case ON case_history (case_id, id);

CREATE TABLE case_notes (
    note_id  uuid PRIMARY KEY,
    case_id  uuid NOT NULL REFERENCES cases (case_id),
    at       timestamptz NOT NULL,
    author   text NOT NULL,
    text     text NOT NULL
);

-- Messages the same person sent again: attached to the first message's case.
CREATE TABLE case_feedback (
    feedback_id  uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (case_id),
    channel      text NOT NULL,
    narrative    text NOT NULL,
    received_at  timestamptz NOT NULL
);

-- Each taxonomy version a case was classified with, as it was then.
CREATE TABLE taxonomies (
    country     char(2) NOT NULL,
    version     integer NOT NULL,
    body        jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country, version)
);

-- Who did or read what, when and from where. Append-only: rows can be added, never changed.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    role           text NOT NULL,
    action         text NOT NULL,
    case_id        uuid,
    reference      text,
    client_address text,
    user_agent     text,
    detail         jsonb NOT NULL DEFAULT '{}'
);
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- Test configurations only (clock.adjustable): how far the service's clock is ahead of the real one.
CREATE TABLE clock_offset (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    offset_seconds double precision NOT NULL
);
