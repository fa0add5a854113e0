-- Callback tasks (services/cases/callbacks.py): someone should call the person about their case, by due_at.
-- One per failed message (notification_id); each call made is an attempt. A task ends `reached`, or
-- `unreachable` after the country's number of failed attempts (or a wrong number); the case may then be
-- closed with a no_contact_reason. No phone number here: the agent reveals it through intake, as ever.
CREATE TABLE callback_tasks (
    task_id         uuid PRIMARY KEY,
    case_id         uuid NOT NULL,
    notification_id uuid UNIQUE,
    reason          text NOT NULL CHECK (reason IN ('message_failed')),
    opened_at       timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'reached', 'unreachable')),
    failed_attempts integer NOT NULL DEFAULT 0,
    ended_at        timestamptz
);
CREATE INDEX callback_tasks_open ON callback_tasks (due_at) WHERE state = 'open';

CREATE TABLE callback_attempts (
    task_id  uuid NOT NULL REFERENCES callback_tasks,
    attempt  integer NOT NULL,
    outcome  text NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'wrong_number', 'call_dropped')),
    at       timestamptz NOT NULL,
    by_actor text NOT NULL,
    PRIMARY KEY (task_id, attempt)
);
