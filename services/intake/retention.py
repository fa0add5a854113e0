"""intake's retention: what providers sent beside the message, and its copy of anonymised cases.

`provider_payloads` (per country, 30 days by default): the provider's message ids with the receipt
answered to its retries, and Mailgun's tokens, of the country's endpoints. Providers retry for hours
(Mailgun 8 h), so after the period a retry cannot come; the message itself is the feedback row.

When cases anonymises a case (`CaseAnonymised`), intake removes its own copy of the texts of the
case's messages and their contact link, keeping what statistics need (country, channel, language,
dates, place and respondent's group).
"""
from chassis.envelope import TextEnvelope
from chassis.retention import Due, RetentionKind


def _country_endpoints(due: Due) -> list[str]:
    return sorted(endpoint_id for endpoint_id, endpoint in due.settings.endpoints.items()
                  if endpoint.country == due.country)


def _count_payloads(conn, due: Due) -> int:
    endpoints = _country_endpoints(due)
    return sum(conn.execute(f"SELECT count(*) FROM {table} WHERE endpoint = ANY(%s) AND {stamp} < %s",
                            [endpoints, due.cutoff]).fetchone()[0]
               for table, stamp in (("provider_messages", "recorded_at"), ("mailgun_tokens", "seen_at")))


def _delete_payloads(uow, due: Due, limit: int) -> int:
    endpoints = _country_endpoints(due)
    deleted = uow.execute(
        """DELETE FROM provider_messages WHERE (endpoint, provider_message_id) IN (
               SELECT endpoint, provider_message_id FROM provider_messages
               WHERE endpoint = ANY(%s) AND recorded_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)""",
        [endpoints, due.cutoff, limit]).rowcount
    deleted += uow.execute(
        """DELETE FROM mailgun_tokens WHERE (endpoint, token) IN (
               SELECT endpoint, token FROM mailgun_tokens
               WHERE endpoint = ANY(%s) AND seen_at < %s LIMIT %s FOR UPDATE SKIP LOCKED)""",
        [endpoints, due.cutoff, limit]).rowcount
    return deleted


PROVIDER_PAYLOADS = RetentionKind("provider_payloads", per_country=True, count=_count_payloads,
                                  apply=_delete_payloads)
KINDS = (PROVIDER_PAYLOADS,)


def forget_case_texts(uow, feedback_ids) -> int:
    """The case of these messages was anonymised: drop intake's copy of their texts and contact link,
    and shred their data keys (what stays sealed can no longer be opened). Returns how many messages
    were changed."""
    for (reference,) in uow.execute("SELECT reference FROM feedback WHERE feedback_id = ANY(%s)",
                                    [list(feedback_ids)]).fetchall():
        TextEnvelope.destroy(uow.conn, reference)
    return uow.execute(
        """UPDATE feedback SET narrative = '', contact_ref = NULL, text_digest = NULL,
                               details = details - 'attachments'
           WHERE feedback_id = ANY(%s) AND (narrative <> '' OR contact_ref IS NOT NULL)""",
        [list(feedback_ids)]).rowcount
