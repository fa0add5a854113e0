-- Messaging tables every service has in its own schema.

-- Events committed with the state change that caused them; the relay
-- publishes them with publisher confirms and stamps published_at.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    message_id      uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    routing_key     text NOT NULL,
    body            jsonb NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- One row per consumed message, written in the transaction of its effect:
-- a redelivered message finds its row and has no second effect.
CREATE TABLE processed_messages (
    consumer     text NOT NULL,
    message_id   uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);

-- Messages a handler kept failing on, kept whole for an operator to replay.
CREATE TABLE parked_messages (
    id           bigserial PRIMARY KEY,
    queue        text NOT NULL,
    message_id   text,
    event_type   text,
    body         bytea NOT NULL,
    content_type text,
    headers      jsonb NOT NULL DEFAULT '{}',
    attempts     integer NOT NULL,
    error_type   text NOT NULL,
    error_stack  text,
    parked_at    timestamptz NOT NULL DEFAULT now()
);
