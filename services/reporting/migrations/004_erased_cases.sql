-- Cases erased (services/reporting/erasure.py): their journal entries and index documents keep no
-- text, and an event about one arriving late (no order is promised) is kept without text too.
CREATE TABLE erased_cases (
    reference  text PRIMARY KEY,
    erased_at  timestamptz NOT NULL DEFAULT now()
);
