CREATE TABLE cases (
    case_id             uuid PRIMARY KEY,
    reference           text NOT NULL UNIQUE,
    feedback_id         uuid NOT NULL UNIQUE,
    country             char(2) NOT NULL,
    channel             text NOT NULL,
    language            text,
    narrative           text NOT NULL,
    received_at         timestamptz NOT NULL,
    opened_at           timestamptz NOT NULL,
    status              text NOT NULL,
    category_code       integer,
    sensitive           boolean NOT NULL,
    restricted          boolean NOT NULL,
    sensitivity_reasons text[] NOT NULL DEFAULT '{}',
    priority            text NOT NULL,
    deadline_kind       text NOT NULL,
    deadline_at         timestamptz NOT NULL,
    contact_ref         uuid,
    consent_callback    boolean NOT NULL,
    consent_share       boolean NOT NULL,
    version             integer NOT NULL DEFAULT 1
);
CREATE INDEX cases_queue ON cases (country, status, deadline_at);
