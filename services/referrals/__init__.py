"""The referrals service."""
