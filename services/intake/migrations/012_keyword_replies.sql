-- Bare keyword answers (services/intake/answers.py): that a contact answered yes, no or cancel, and when.
-- The text is not kept (it is one of the configured words); the meaning went out as ReplyReceived.
CREATE TABLE keyword_replies (
    reply_id    uuid PRIMARY KEY,
    contact_ref uuid NOT NULL,
    country     char(2) NOT NULL,
    channel     text NOT NULL,
    endpoint    text NOT NULL,
    answer      text NOT NULL CHECK (answer IN ('yes', 'no', 'cancel')),
    received_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keyword_replies_by_contact ON keyword_replies (contact_ref, received_at);
