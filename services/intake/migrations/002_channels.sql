-- Every channel: endpoints, provider message ids, repeats, status requests, calls and batches.

-- A repeated message (same contact, same text, within the window) carries the first message's
-- reference: a reference is unique among first messages only.
ALTER TABLE feedback
    ADD COLUMN endpoint            text,
    ADD COLUMN provider_message_id text,
    ADD COLUMN repeat              boolean NOT NULL DEFAULT false,
    ADD COLUMN language_detected   boolean NOT NULL DEFAULT false,
    ADD COLUMN text_digest         bytea,
    -- location, respondent, attachments and call/visit metadata: no contact details
    ADD COLUMN details             jsonb NOT NULL DEFAULT '{}';
ALTER TABLE feedback DROP CONSTRAINT feedback_reference_key;
CREATE UNIQUE INDEX feedback_reference_of_first_message ON feedback (reference) WHERE NOT repeat;
CREATE INDEX feedback_recent_by_contact ON feedback (contact_ref, text_digest, received_at)
    WHERE contact_ref IS NOT NULL AND NOT repeat;

-- Blind index: HMAC(index key, E.164 phone or lower-case email) -> the person's one contact_ref.
-- The vault encrypts with random nonces, so ciphertexts cannot be compared; this can.
CREATE TABLE contact_index (
    blind_index bytea PRIMARY KEY,
    contact_ref uuid NOT NULL REFERENCES contacts
);

-- One provider message id on one endpoint is one message, whatever the provider retries.
CREATE TABLE provider_messages (
    endpoint            text NOT NULL,
    provider_message_id text NOT NULL,
    receipt             jsonb NOT NULL,     -- the answer given the first time, given again to retries
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, provider_message_id)
);

CREATE TABLE status_requests (
    request_id  uuid PRIMARY KEY,
    reference   text NOT NULL,
    contact_ref uuid NOT NULL REFERENCES contacts,
    channel     text NOT NULL,
    endpoint    text,
    received_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Call detail records; the caller's number is never stored.
CREATE TABLE calls (
    endpoint         text NOT NULL,
    call_id          text NOT NULL,
    started_at       timestamptz NOT NULL,
    outcome          text NOT NULL,
    wait_seconds     double precision NOT NULL,
    duration_seconds double precision NOT NULL,
    agent_id         text,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, call_id)
);

-- A batch file uploaded once: the same bytes again get the same report and record nothing.
CREATE TABLE batch_uploads (
    endpoint    text NOT NULL,
    file_sha256 text NOT NULL,
    uploaded_by text NOT NULL,
    report      jsonb NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, file_sha256)
);
