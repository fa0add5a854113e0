"""All of referrals' SQL."""
from contracts.events import ReferralCreated


def insert_referral(conn, referral: ReferralCreated, country: str, status: str) -> bool:
    """Insert a referral; False when the case was referred already."""
    return conn.execute(
        """INSERT INTO referrals (referral_id, case_id, reference, country, partner_id, category_code,
                                  emergency, share_contact, status, created_at, respond_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (case_id) DO NOTHING""",
        [referral.referral_id, referral.case_id, referral.reference, country, referral.partner_id,
         referral.category_code, referral.emergency, referral.share_contact, status, referral.created_at,
         referral.respond_by]).rowcount == 1
