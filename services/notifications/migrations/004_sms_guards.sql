-- Who may be texted: each SMS to a complainant is counted by contact (never by phone number, which
-- stays in intake's vault) to cap them per day; an SMS not sent on purpose says why (`withheld`:
-- unverified_contact, prefix_not_allowed, daily_limit), so that a redelivery does not try again.
ALTER TABLE notifications
    ADD COLUMN contact_ref uuid,
    ADD COLUMN withheld    text;
CREATE INDEX notifications_sent_to_contact ON notifications (contact_ref, sent_at)
    WHERE contact_ref IS NOT NULL AND withheld IS NULL;
