-- Appointments at a reception centre (services/cases/appointments.py): an agent books the person of a
-- case a slot; the desk records whether they came. A slot's places are counted in appointment_slots, whose
-- CHECK is what refuses the booking beyond capacity when two agents book the last place at once.
CREATE TABLE appointment_slots (
    centre_id text NOT NULL,
    starts_at timestamptz NOT NULL,
    capacity  integer NOT NULL,
    booked    integer NOT NULL,
    PRIMARY KEY (centre_id, starts_at),
    CHECK (booked >= 0 AND booked <= capacity)
);

CREATE TABLE appointments (
    appointment_id uuid PRIMARY KEY,
    case_id        uuid NOT NULL,
    country        char(2) NOT NULL,
    centre_id      text NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    state          text NOT NULL DEFAULT 'booked' CHECK (state IN ('booked', 'cancelled', 'attended', 'missed')),
    booked_at      timestamptz NOT NULL,
    booked_by      text NOT NULL,
    changed_at     timestamptz,
    changed_by     text,
    cancelled_by   text CHECK (cancelled_by IN ('person', 'agent'))
);
CREATE INDEX appointments_by_centre_day ON appointments (centre_id, starts_at);
CREATE INDEX appointments_by_case ON appointments (case_id);

-- Whether the case's contact is the sender's own: cases.contact_verified, added by 014. An appointment's SMS
-- goes only to such a contact; NULL (cases opened before) as for a producer that does not say.
