-- Appointments at a reception centre (services/notifications/appointments.py). Each message about an
-- appointment is one intent: at most one row per appointment and purpose (confirmation, reminder,
-- cancellation), taken before the contact is revealed, so a redelivery or a second timer pass texts nobody.
ALTER TABLE notifications ADD COLUMN appointment_id uuid;
CREATE UNIQUE INDEX notifications_once_per_appointment ON notifications (appointment_id, purpose)
    WHERE appointment_id IS NOT NULL;

-- The appointments still to remind, from AppointmentBooked; AppointmentCancelled marks them (even when it
-- arrives first). No phone number: intake reveals it when the reminder goes out.
CREATE TABLE appointment_reminders (
    appointment_id   uuid PRIMARY KEY,
    case_id          uuid,
    reference        text,
    country          char(2) NOT NULL,
    centre_name      jsonb,
    centre_address   jsonb,
    starts_at        timestamptz,
    remind_at        timestamptz,
    contact_ref      uuid,
    feedback_id      uuid,
    contact_verified boolean,
    consent_callback boolean NOT NULL DEFAULT false,
    language         text,
    cancelled_at     timestamptz,
    reminded_at      timestamptz
);
CREATE INDEX appointment_reminders_due ON appointment_reminders (remind_at)
    WHERE reminded_at IS NULL AND cancelled_at IS NULL;
