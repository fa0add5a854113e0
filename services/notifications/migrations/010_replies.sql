-- Replies from a case (services/notifications/replies.py): one row per reply, keyed by the reply_id cases
-- gave it (notification_id), so that a redelivered request finds it taken and sends nothing. The row keeps
-- which template went, and for WhatsApp whether as free text (inside the 24-hour window) or as the
-- approved template; never the words sent.
ALTER TABLE notifications
    ADD COLUMN template_id   text,
    ADD COLUMN whatsapp_form text CHECK (whatsapp_form IN ('text', 'template'));

-- The last time each contact wrote to us on WhatsApp (from FeedbackReceived, StatusRequested and
-- ReplyReceived): only the time and the contact, never what they wrote. It opens the 24-hour window.
CREATE TABLE whatsapp_sessions (
    contact_ref     uuid PRIMARY KEY,
    last_inbound_at timestamptz NOT NULL
);
