-- Retention (services/cases/retention.py): a closed case past its country's period is anonymised.
-- It keeps what the statistics need (country, channel, category, dates, deadlines) and loses its
-- texts and contact link; this says when.
ALTER TABLE cases ADD COLUMN anonymised_at timestamptz;
CREATE INDEX cases_closed_to_anonymise ON cases (country, sensitive, updated_at)
    WHERE status = 'closed' AND anonymised_at IS NULL;
