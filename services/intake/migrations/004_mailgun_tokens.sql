-- Mailgun signs only timestamp+token, never the email: each token may bring one email. A retry of the
-- same delivery keeps its token and its email; a replayed token with another email records nothing.
CREATE TABLE mailgun_tokens (
    endpoint            text NOT NULL,
    token               text NOT NULL,
    provider_message_id text NOT NULL,      -- the email's key (digest of its Message-Id)
    seen_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, token)
);
