-- More reasons to call a person back (services/cases/callbacks.py): they agreed to be called back but cannot
-- be texted (no_sms: a number typed on a form or a slip, an email contact), or the agent who resolved or
-- closed the case ticked that the answer needs explaining by phone (needs_explaining). One open task per
-- case and reason: a second failed message, a redelivered event or a second tick opens nothing new.
ALTER TABLE callback_tasks DROP CONSTRAINT callback_tasks_reason_check;
ALTER TABLE callback_tasks ADD CONSTRAINT callback_tasks_reason_check
    CHECK (reason IN ('message_failed', 'no_sms', 'needs_explaining'));
CREATE UNIQUE INDEX callback_tasks_one_open_per_reason ON callback_tasks (case_id, reason) WHERE state = 'open';
