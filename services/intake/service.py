"""intake's entrypoints: agent entry, every channel's webhook or upload, and the vault's RPC.

Each channel route is `/v1/channels/<provider>/<endpoint_id>`; the endpoint id is a
configured name (settings.py) that says the country and channel. Entrypoints check the
endpoint and the provider's proof (signature or secret) before reading the content,
call one handler, count the outcome and answer in the provider's own way.
"""
import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from pydantic import RootModel
from werkzeug.wrappers import Response

from chassis import signatures
from chassis.amqp import rpc
from chassis.errors import ApiError
from chassis.http import api, parse_body, read_form, without_nul
from chassis.messaging import consume_event
from chassis.service import PlatformService
from contracts.events import CaseAnonymised, ErasureApproved
from contracts.http import (
    CallRecords, ContactExportRequest, ContactLookup, DeliveryReceipt, FeedbackSubmission, WebFormSubmission,
)
from contracts.rpc import RevealContactRequest
from services.intake import domain, erasure, handlers, metrics, retention, rights
from services.intake.formats import email, gateway, kobo, rapidpro, twilio, web_form, whatsapp
from services.intake.formats.common import reading_payload
from services.intake.formats.spreadsheets import XLSX_TYPE
from services.intake.ratelimit import WebFormRateLimit
from services.intake.settings import IntakeSettings
from services.intake.vault import ContactVault

CHANNEL_ROLES = ("agent", "supervisor", "focal_point")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class Vault(DependencyProvider):
    def setup(self):
        self.vault = ContactVault.from_settings(self.container.config["SETTINGS"].vault)

    def get_dependency(self, worker_ctx):
        return self.vault


def _unknown_endpoint() -> ApiError:
    return ApiError(404, "unknown_endpoint", "No endpoint with this id is configured for this provider.")


def _bad_signature() -> ApiError:
    return ApiError(403, "invalid_signature", "The request's signature or secret does not match this endpoint.")


def _body(request, limit: int) -> bytes:
    """The raw body, refused when larger than this route takes (chassis only knows one limit for
    every route; a channel's is smaller, an email's or an upload's larger)."""
    if (request.content_length or 0) > limit:
        raise ApiError(413, "body_too_large", "The body is larger than this endpoint accepts.")
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise ApiError(413, "body_too_large", "The body is larger than this endpoint accepts.")
    return data


def _text_without_nul(data: bytes, content_type: str) -> bytes:
    """A CSV file without NUL bytes (see chassis.http.without_nul); an XLSX workbook is a zip,
    and its XML cannot hold a NUL."""
    return data if content_type == XLSX_TYPE else data.replace(b"\x00", b"")


class ProviderJson(RootModel[Any]):
    """A provider's JSON body, whatever its shape: chassis reads the JSON, the provider's format
    module (formats/) says whether it is right."""


def _parse_submission(request, model):
    """An agent's or the web form's JSON body as its contract; a narrative longer than a feedback
    holds is `message_too_long`, as on every channel, not a contract error."""
    try:
        return parse_body(request, model)
    except ApiError as exc:
        if exc.code == "validation_failed" and any(detail.get("field") == "narrative" for detail in exc.details):
            narrative = (request.get_json(silent=True) or {}).get("narrative")
            if isinstance(narrative, str) and domain.too_long(narrative):
                raise handlers.message_too_long() from None
        raise


def _require_form(request, multipart_only: bool = False):
    allowed = ("multipart/form-data",) if multipart_only else ("application/x-www-form-urlencoded",
                                                               "multipart/form-data")
    if request.mimetype not in allowed:
        raise ApiError(415, "unsupported_media_type", f"Send the body as {' or '.join(allowed)}.")


class IntakeService(PlatformService):
    name = "intake"

    vault = Vault()
    web_form_limit = WebFormRateLimit()
    retention_kinds = retention.KINDS

    @consume_event("cases", CaseAnonymised)
    def on_case_anonymised(self, event: CaseAnonymised, envelope):
        with self.db() as uow:
            if uow.claim_message():
                retention.forget_case_texts(uow, event.feedback_ids)

    # --- helpers shared by the channel routes ---------------------------------------------------

    def _endpoint(self, endpoint_id: str, provider: str):
        endpoint = self.settings.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.provider != provider:
            metrics.count_rejected("unknown", "unknown", "unknown_endpoint")
            raise _unknown_endpoint()
        return endpoint

    def _check_secret(self, request, endpoint):
        auth = request.authorization
        basic = (auth.username, auth.password) if auth is not None and auth.type == "basic" else None
        if not signatures.shared_secret_valid(endpoint.secret.get_secret_value(), endpoint.username,
                                              request.headers.get(endpoint.secret_header), basic):
            raise _bad_signature()

    def _record(self, messages, now):
        recorded = handlers.record_messages(self.db(), self.vault, self.settings, messages, now)
        self._count(recorded, now)
        return recorded

    def _count(self, recorded, now):
        for item in recorded:
            message = item.message
            if item.retry:
                metrics.PROVIDER_RETRIES.labels(message.endpoint_id or "agent_entry").inc()
            else:
                metrics.count_received(message.channel.value, message.country, message.endpoint_id or "agent_entry",
                                       now.timestamp())

    # --- agent entry -----------------------------------------------------------------------------

    @api("POST", "/v1/feedback", roles=CHANNEL_ROLES)
    def submit_feedback(self, request, principal):
        _body(request, self.settings.channels.json_body_bytes)
        submission = _parse_submission(request, FeedbackSubmission)
        principal.require_country(submission.country)
        now = datetime.now(UTC)
        accepted, recorded = handlers.submit_feedback(self.db(), self.vault, self.settings, submission,
                                                      submitted_by=principal.subject, now=now)
        self._count([recorded], now)
        return 202, accepted

    @api("POST", "/v1/contacts/lookup", roles=CHANNEL_ROLES)
    def look_up_contact(self, request, principal):
        """A caller's earlier cases by their phone number: in the body, so that no URL or access log holds it."""
        _body(request, self.settings.channels.json_body_bytes)
        lookup = parse_body(request, ContactLookup)
        principal.require_country(lookup.country)
        return handlers.look_up_contact(self.db(), self.vault, lookup, principal)

    @api("GET", "/v1/places", roles=CHANNEL_ROLES)
    def list_places(self, request, principal):
        country = request.args.get("country", "")
        principal.require_country(country)
        if country not in self.settings.countries:
            raise ApiError(404, "unknown_country", "No programme is configured for this country.")
        return handlers.places(self.settings, country)

    # --- SMS -------------------------------------------------------------------------------------

    @api("POST", "/v1/channels/twilio/<endpoint_id>", public=True)
    def receive_twilio(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "twilio")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            _body(request, self.settings.channels.json_body_bytes)
            _require_form(request)
            params = [(name, value) for name, values in request.form.lists() for value in values]
            if not signatures.twilio_valid(endpoint.secret.get_secret_value(), self._called_url(request), params,
                                           request.headers.get("X-Twilio-Signature")):
                raise _bad_signature()
            now = datetime.now(UTC)
            with reading_payload():
                message = twilio.parse(endpoint_id, endpoint, read_form(request), now,
                                       self.settings.channels.max_attachments)
            self._record([message], now)
        return Response(EMPTY_TWIML, status=200, mimetype="text/xml")

    def _called_url(self, request) -> str:
        """The URL as the provider called it (Twilio signs it), behind a proxy too."""
        base = self.settings.channels.public_base_url or f"{request.scheme}://{request.host}"
        query = request.query_string.decode()
        return base.rstrip("/") + request.root_path + request.path + (f"?{query}" if query else "")

    @api("POST", "/v1/channels/rapidpro/<endpoint_id>", public=True)
    def receive_rapidpro(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "rapidpro")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            self._check_secret(request, endpoint)
            _body(request, self.settings.channels.json_body_bytes)
            body = parse_body(request, ProviderJson).root
            now = datetime.now(UTC)
            with reading_payload():
                message = rapidpro.parse(endpoint_id, endpoint, body, self.settings.channels.max_attachments, now)
            recorded = self._record([message], now)
        return recorded[0].receipt

    @api("POST", "/v1/channels/sms-gateway/<endpoint_id>", public=True)
    def receive_sms_gateway(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "sms_gateway")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            self._check_secret(request, endpoint)
            _body(request, self.settings.channels.json_body_bytes)
            body = parse_body(request, ProviderJson).root
            now = datetime.now(UTC)
            with reading_payload():
                message = gateway.parse(endpoint_id, endpoint, body, now)
            recorded = self._record([message], now)
        return recorded[0].receipt

    # --- WhatsApp --------------------------------------------------------------------------------

    @api("GET", "/v1/channels/whatsapp/<endpoint_id>", public=True)
    def verify_whatsapp(self, request, endpoint_id):
        """Meta's subscription handshake: echo hub.challenge when hub.verify_token is ours."""
        endpoint = self._endpoint(endpoint_id, "whatsapp")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                    token.encode(), endpoint.verify_token.get_secret_value().encode()):
                raise ApiError(403, "invalid_verify_token", "The verification token does not match this endpoint.")
        return Response(request.args.get("hub.challenge", ""), status=200, mimetype="text/plain")

    @api("POST", "/v1/channels/whatsapp/<endpoint_id>", public=True)
    def receive_whatsapp(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "whatsapp")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            raw = _body(request, self.settings.channels.json_body_bytes)
            if not signatures.meta_valid(endpoint.secret.get_secret_value(), raw,
                                         request.headers.get("X-Hub-Signature-256")):
                raise _bad_signature()
            body = parse_body(request, ProviderJson).root
            with reading_payload():
                delivery = whatsapp.parse(endpoint_id, endpoint, body, self.settings.channels.max_attachments)
            now = datetime.now(UTC)
            recorded = self._record(delivery.messages, now) if delivery.messages else []
        return DeliveryReceipt(received=[item.receipt for item in recorded], ignored=delivery.unsupported)

    # --- email -----------------------------------------------------------------------------------

    @api("POST", "/v1/channels/mailgun/<endpoint_id>", public=True)
    def receive_mailgun(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "mailgun")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            _body(request, self.settings.channels.email_body_bytes)
            _require_form(request)
            form = request.form
            if not signatures.mailgun_valid(endpoint.secret.get_secret_value(), form.get("timestamp", ""),
                                            form.get("token", ""), form.get("signature")):
                raise _bad_signature()
            now = datetime.now(UTC)
            try:
                age = abs(now.timestamp() - int(form["timestamp"]))
            except ValueError:
                raise _bad_signature() from None
            channels = self.settings.channels
            if age > channels.mailgun_retry_hours * 3600:
                raise handlers.stale_signature()
            with reading_payload():
                message = email.parse_mailgun(endpoint_id, endpoint, read_form(request), self._files(request),
                                              channels.max_attachments)
            recorded = handlers.record_mailgun_delivery(self.db(), self.vault, self.settings, message, form["token"],
                                                        fresh=age <= channels.signature_max_age_seconds, now=now)
            self._count([recorded], now)
        return recorded.receipt

    @api("POST", "/v1/channels/sendgrid/<endpoint_id>", public=True)
    def receive_sendgrid(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "sendgrid")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            self._check_secret(request, endpoint)
            _body(request, self.settings.channels.email_body_bytes)
            _require_form(request, multipart_only=True)
            now = datetime.now(UTC)
            with reading_payload():
                message = email.parse_sendgrid(endpoint_id, endpoint, read_form(request), self._files(request), now,
                                               self.settings.channels.max_attachments)
            recorded = self._record([message], now)
        return recorded[0].receipt

    @staticmethod
    def _files(request) -> list[tuple[str | None, str | None]]:
        """Name and type of each attached file; the bytes are never kept."""
        return [(without_nul(item.filename), item.mimetype or None) for _, item in request.files.items(multi=True)
                if item.filename]

    # --- web form --------------------------------------------------------------------------------

    @api("POST", "/v1/channels/web-form/<endpoint_id>", public=True)
    def receive_web_form(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "web_form")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            wait = self.web_form_limit.retry_after(self.db, endpoint_id, self.web_form_limit.client(request))
            if wait is not None:
                raise ApiError(429, "rate_limited", "Too many messages from this address; try again later.",
                               headers={"Retry-After": str(wait)})
            _body(request, self.settings.channels.json_body_bytes)
            form = _parse_submission(request, WebFormSubmission)
            now = datetime.now(UTC)
            with reading_payload():
                message = web_form.to_message(endpoint_id, endpoint, form, now)
            recorded = self._record([message], now)
        return 202, recorded[0].receipt

    # --- KoboToolbox -----------------------------------------------------------------------------

    @api("POST", "/v1/channels/kobo/<endpoint_id>", public=True)
    def receive_kobo(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "kobo")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            self._check_secret(request, endpoint)
            _body(request, self.settings.channels.json_body_bytes)
            body = parse_body(request, ProviderJson).root
            now = datetime.now(UTC)
            with reading_payload():
                message = kobo.parse(endpoint_id, endpoint, body, self.settings.countries[endpoint.country].timezone,
                                     self.settings.channels.max_attachments)
            recorded = self._record([message], now)
        return 201, recorded[0].receipt

    # --- suggestion boxes ------------------------------------------------------------------------

    @api("POST", "/v1/channels/suggestion-box/<endpoint_id>/batches", roles=CHANNEL_ROLES)
    def upload_box_batch(self, request, endpoint_id, principal):
        endpoint = self._endpoint(endpoint_id, "suggestion_box")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            principal.require_country(endpoint.country)
            data, content_type, fields = self._upload(request)
            collected = fields.get("collected_on") or ""
            try:
                collected_on = date.fromisoformat(collected)
            except ValueError:
                raise ApiError(422, "validation_failed", "Say when the box was opened: collected_on=YYYY-MM-DD.",
                               [{"field": "collected_on", "reason": "expected a date YYYY-MM-DD"}]) from None
            now = datetime.now(UTC)
            report, recorded = handlers.upload_box_batch(self.db(), self.vault, self.settings, endpoint_id, endpoint,
                                                         data, content_type, collected_on, principal.subject, now)
            self._count(recorded, now)
        return report

    def _upload(self, request) -> tuple[bytes, str, dict]:
        """A file sent as the raw body (its Content-Type says CSV or XLSX; fields in the query string),
        or as the `file` part of a multipart form (fields in the form)."""
        data = _body(request, self.settings.channels.upload_body_bytes)
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise ApiError(422, "validation_failed", "Send the file in a form field named `file`.",
                               [{"field": "file", "reason": "missing"}])
            content_type = upload.mimetype
            if upload.filename and upload.filename.lower().endswith(".xlsx"):
                content_type = XLSX_TYPE
            elif upload.filename and upload.filename.lower().endswith(".csv"):
                content_type = "text/csv"
            return _text_without_nul(upload.read(), content_type), content_type, {**request.args, **read_form(request)}
        return _text_without_nul(data, request.mimetype), request.mimetype, dict(request.args)

    # --- telephony -------------------------------------------------------------------------------

    @api("POST", "/v1/channels/telephony/<endpoint_id>/calls", public=True)
    def receive_calls(self, request, endpoint_id):
        endpoint = self._endpoint(endpoint_id, "telephony")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            self._check_secret(request, endpoint)
            data = _body(request, self.settings.channels.upload_body_bytes)
            calls = parse_body(request, CallRecords).calls
            report = handlers.receive_calls(self.db(), endpoint_id, endpoint, calls, hashlib.sha256(data).hexdigest())
        self._count_calls(endpoint_id, endpoint, report)
        return report

    @api("POST", "/v1/channels/telephony/<endpoint_id>/batches", roles=("supervisor", "admin"))
    def upload_call_batch(self, request, endpoint_id, principal):
        endpoint = self._endpoint(endpoint_id, "telephony")
        with metrics.counting_rejections(endpoint.channel.value, endpoint_id):
            principal.require_country(endpoint.country)
            data, content_type, _ = self._upload(request)
            report = handlers.upload_call_batch(self.db(), self.settings, endpoint_id, endpoint, data, content_type,
                                                principal.subject)
        self._count_calls(endpoint_id, endpoint, report)
        return report

    @staticmethod
    def _count_calls(endpoint_id, endpoint, report):
        new = sum(not row.duplicate for row in report.accepted)
        if new and not report.already_uploaded:
            metrics.CALLS_RECORDED.labels(endpoint.country, endpoint_id).inc(new)

    # --- for operators -------------------------------------------------------------------------

    @api("GET", "/v1/channels/activity", roles=("ops", "admin"))
    def channel_activity(self, request, principal):
        return handlers.channel_activity(self.db(), self.settings, principal.countries)
    # --- the complainant's rights ------------------------------------------------------------------

    @api("POST", "/v1/contacts/export", roles=("focal_point",))
    def export_contact(self, request, principal):
        body = parse_body(request, ContactExportRequest)
        return rights.export_contact(self.db, self.vault, self.settings, body, principal,
                                     request.headers.get("Authorization"), request.remote_addr, datetime.now(UTC))

    # --- the vault -------------------------------------------------------------------------------

    @rpc(expected_exceptions=(handlers.ContactNotFound, handlers.RevealRefused))
    def reveal_contact(self, request: dict) -> dict:
        answer = handlers.reveal_contact(self.db(), self.vault, RevealContactRequest.model_validate(request),
                                         datetime.now(UTC))
        return answer.model_dump(mode="json")

    # --- erasure (services/intake/erasure.py) ------------------------------------------------------

    @consume_event("cases", ErasureApproved)
    def on_erasure_approved(self, erasure_approved: ErasureApproved, envelope):
        erasure.erase(self.db(), self.settings, erasure_approved, envelope)


SERVICE = IntakeService
SETTINGS = IntakeSettings
