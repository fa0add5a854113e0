-- Cases whose complainant withdrew consent (CaseConsentWithdrawn, services/referrals/consent.py):
-- their contact is no longer shared with a partner, by referrals made before or after.
CREATE TABLE consent_withdrawn_cases (
    case_id      uuid PRIMARY KEY,
    withdrawn_at timestamptz NOT NULL
);
