-- Satisfaction after closure (services/cases/satisfaction.py).
-- Whether the case's contact is the sender's own (FeedbackReceived.contact_verified): only such a number is
-- asked the question. NULL for cases opened before this was kept: never asked.
ALTER TABLE cases ADD COLUMN contact_verified boolean;

-- One survey per case: asked at its first closure, answered (or not) within the country's window.
CREATE TABLE satisfaction_surveys (
    survey_id   uuid PRIMARY KEY,
    case_id     uuid NOT NULL UNIQUE REFERENCES cases (case_id),
    contact_ref uuid,                   -- NULL once the case is anonymised or erased
    country     char(2) NOT NULL,
    asked_at    timestamptz NOT NULL,
    answer_by   timestamptz NOT NULL,
    satisfied   boolean,
    answered_at timestamptz,
    reply_id    uuid UNIQUE             -- intake's ReplyReceived that answered it
);
CREATE INDEX satisfaction_surveys_open ON satisfaction_surveys (contact_ref, asked_at) WHERE answered_at IS NULL;

-- A case on the week's quality review list is there by random draw, or because its complainant answered
-- "no" to the satisfaction question; only the drawn ones count towards an agent's sample size.
ALTER TABLE quality_samples ADD COLUMN reason text NOT NULL DEFAULT 'sampled'
    CHECK (reason IN ('sampled', 'dissatisfied'));
