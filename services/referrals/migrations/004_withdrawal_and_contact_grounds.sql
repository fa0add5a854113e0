-- A case a focal point releases (not sensitive after all) has its unanswered referral withdrawn: the
-- partner no longer needs it. Like a re-routed one, a withdrawn referral is no longer the case's live one.
ALTER TABLE referrals ADD COLUMN withdrawn_at timestamptz;
-- The release is kept even when no referral exists yet: events come in any order, and the case's opening
-- (version 1) arriving after its release (a later version) must not refer it.
CREATE TABLE case_releases (
    case_id      uuid PRIMARY KEY,
    case_version integer NOT NULL,
    released_at  timestamptz NOT NULL
);
DROP INDEX referrals_one_live_per_case;
CREATE UNIQUE INDEX referrals_one_live_per_case ON referrals (case_id) WHERE status NOT IN ('rerouted', 'withdrawn');
-- What intake checks a partner's request for the contact against: the message the case was opened for
-- and its contact (ids only; the contact itself stays in intake's vault). NULL for cases referred before.
ALTER TABLE referrals ADD COLUMN feedback_id uuid, ADD COLUMN contact_ref uuid;
CREATE INDEX referrals_by_reference ON referrals (reference);
