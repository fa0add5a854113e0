-- A partner's request for a complainant's contact comes through referrals: the reveal log also says for
-- which referral and on behalf of which partner staff member (their subject). NULL for the other purposes;
-- the hash chain strips nulls, so older rows keep their hashes.
ALTER TABLE contact_reveals ADD COLUMN referral_id uuid, ADD COLUMN on_behalf_of text;
