-- Contacts are stored only encrypted (see vault.py); the key id allows rotation.
CREATE TABLE contacts (
    contact_ref uuid PRIMARY KEY,
    key_id      text NOT NULL,
    nonce       bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Who had a contact decrypted, when and why.
CREATE TABLE contact_reveals (
    id           bigserial PRIMARY KEY,
    contact_ref  uuid NOT NULL REFERENCES contacts,
    purpose      text NOT NULL,
    requested_by text NOT NULL,
    revealed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feedback (
    feedback_id      uuid PRIMARY KEY,
    reference        text NOT NULL UNIQUE,
    country          char(2) NOT NULL,
    channel          text NOT NULL,
    language         text,
    narrative        text NOT NULL,
    received_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    contact_ref      uuid REFERENCES contacts,
    consent_callback boolean NOT NULL,
    consent_share    boolean NOT NULL,
    submitted_by     text
);

-- Case references run per country and year: GN-2026-000042.
CREATE TABLE reference_counters (
    country     char(2) NOT NULL,
    year        integer NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (country, year)
);
