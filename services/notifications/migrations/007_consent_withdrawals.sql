-- Contacts whose person withdrew consent (ConsentWithdrawn, services/notifications/consent.py): no SMS
-- goes to them any more, except the one confirmation their country may send.
CREATE TABLE consent_withdrawals (
    contact_ref   uuid PRIMARY KEY,
    withdrawn_at  timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
-- The one SMS confirming the withdrawal, where the country sends it: when, or why not.
ALTER TABLE consent_withdrawals
    ADD COLUMN confirmed_at timestamptz,
    ADD COLUMN confirmation_provider_message_id text,
    ADD COLUMN confirmation_withheld text;
