-- A status reply answers one request (request_id) and may be about no case
-- at all (the contact does not own the reference). Its row is written before
-- the SMS goes out, in the same transaction: a second delivery of the same
-- request waits on the unique key, then finds it taken. A reply without a
-- provider_message_id was never sent (the contact has no phone).
ALTER TABLE notifications ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN reference DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN provider_message_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN request_id uuid UNIQUE;
-- One acknowledgement per case; a contact may ask for a case's status many times.
ALTER TABLE notifications DROP CONSTRAINT notifications_case_id_purpose_key;
CREATE UNIQUE INDEX notifications_one_acknowledgement_per_case ON notifications (case_id)
    WHERE purpose = 'acknowledgement';

-- Alerts to the supervisors on duty: one row per event that warrants one
-- (never the narrative, never the category), and one row per SMS sent for it.
CREATE TABLE staff_alerts (
    alert_id      uuid PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    country       char(2) NOT NULL,
    case_id       uuid NOT NULL,
    reference     text NOT NULL,
    reason        text NOT NULL,
    deadline_kind text NOT NULL,
    due_at        timestamptz NOT NULL,
    alerted_at    timestamptz NOT NULL
);
CREATE INDEX staff_alerts_by_country ON staff_alerts (country, alerted_at DESC);

CREATE TABLE staff_alert_messages (
    alert_id            uuid NOT NULL REFERENCES staff_alerts,
    recipient           text NOT NULL,
    provider_message_id text,
    sent_at             timestamptz NOT NULL,
    PRIMARY KEY (alert_id, recipient)
);
