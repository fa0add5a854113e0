-- Replies an agent sent the complainant from a case (services/cases/replies.py): which template, by which
-- channel, and how far it got (requested, then queued by the provider, sent, delivered or failed, read; or
-- withheld, with notifications' reason). Never the words: they are the template's, filled in by
-- notifications, and never stored anywhere.
CREATE TABLE case_replies (
    reply_id        uuid PRIMARY KEY,
    case_id         uuid NOT NULL,
    template_id     text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    language        text NOT NULL,
    requested_at    timestamptz NOT NULL,
    requested_by    text NOT NULL,
    state           text NOT NULL DEFAULT 'requested'
        CHECK (state IN ('requested', 'queued', 'sent', 'delivered', 'failed', 'read', 'withheld')),
    withheld_reason text,
    state_at        timestamptz
);
CREATE INDEX case_replies_by_case ON case_replies (case_id, requested_at);
