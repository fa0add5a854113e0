-- A focal point may re-route a referral to another partner: the old row stays
-- as `rerouted` (it takes no answer any more) and a new row is the case's live
-- referral. So a case has at most one referral that is not rerouted.
ALTER TABLE referrals DROP CONSTRAINT referrals_case_id_key;
CREATE UNIQUE INDEX referrals_one_live_per_case ON referrals (case_id) WHERE status <> 'rerouted';
ALTER TABLE referrals
    ADD COLUMN rerouted_at timestamptz,
    ADD COLUMN rerouted_by text,
    ADD COLUMN rerouted_to uuid REFERENCES referrals (referral_id) DEFERRABLE INITIALLY DEFERRED;
