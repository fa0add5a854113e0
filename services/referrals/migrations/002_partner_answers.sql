-- The partner's answer, and the mark left by the overdue scan (set once:
-- a referral marked overdue waits for a focal point to re-route it).
ALTER TABLE referrals
    ADD COLUMN answered_at    timestamptz,
    ADD COLUMN answered_by    text,
    ADD COLUMN decline_reason text,
    ADD COLUMN overdue_at     timestamptz;
CREATE INDEX referrals_awaiting_answer ON referrals (respond_by) WHERE status = 'sent' AND overdue_at IS NULL;
CREATE INDEX referrals_by_partner ON referrals (partner_id, created_at DESC);
CREATE INDEX referrals_by_country ON referrals (country, created_at DESC);
