-- What was sent to whom is known by case and purpose; the phone number itself
-- stays in intake's vault and is never stored here.
CREATE TABLE notifications (
    notification_id     uuid PRIMARY KEY,
    case_id             uuid NOT NULL,
    reference           text NOT NULL,
    country             char(2) NOT NULL,
    purpose             text NOT NULL,
    channel             text NOT NULL,
    language            text NOT NULL,
    provider_message_id text NOT NULL,
    sent_at             timestamptz NOT NULL,
    UNIQUE (case_id, purpose)
);
