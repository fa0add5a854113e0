"""Sending WhatsApp messages through Meta's Cloud API (Graph API).

POST {base_url}/{version}/{phone_number_id}/messages with `Authorization: Bearer <token>` and JSON:
`{"messaging_product": "whatsapp", "to": "224622987654", "type": "text", "text": {"body": ...}}` inside
the 24-hour customer-service window, or `"type": "template", "template": {"name", "language": {"code"},
"components": [{"type": "body", "parameters": [{"type": "text", "text": ...}]}]}` outside it. The answer
is `{"messages": [{"id": "wamid...."}]}`; an error is `{"error": {"code", "message", ...}}`.
Locally and in tests this is tools/whatsapp_sink.py.
"""
import requests
from nameko.extensions import DependencyProvider

from services.notifications.provider_errors import ProviderRefused


class WhatsAppRefused(ProviderRefused):
    """The Cloud API refused the message; the code is Meta's (e.g. 131047: outside the window)."""

    provider = "WhatsApp"


class WhatsAppClient:
    def __init__(self, whatsapp_settings):
        self.settings = whatsapp_settings
        self.session = requests.Session()
        if whatsapp_settings.access_token is not None:
            self.session.headers["Authorization"] = f"Bearer {whatsapp_settings.access_token.get_secret_value()}"

    def configured(self, country: str) -> bool:
        return self.settings.access_token is not None and country in self.settings.phone_number_ids

    def send_text(self, *, country: str, to: str, body: str) -> str:
        return self._send(country, to, {"type": "text", "text": {"preview_url": False, "body": body}})

    def send_template(self, *, country: str, to: str, name: str, language: str, parameters: list[str]) -> str:
        template = {"name": name, "language": {"code": language}}
        if parameters:
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": value} for value in parameters]}]
        return self._send(country, to, {"type": "template", "template": template})

    def _send(self, country: str, to: str, message: dict) -> str:
        """Send one message; returns its WhatsApp message id (wamid), which receipts name."""
        settings = self.settings
        url = f"{settings.base_url.rstrip('/')}/{settings.api_version}/{settings.phone_number_ids[country]}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to.lstrip("+"), **message}
        response = self.session.post(url, json=body, timeout=settings.timeout_seconds)
        if response.status_code != 200:
            error = response.json().get("error", {}) if "json" in response.headers.get("Content-Type", "") else {}
            raise WhatsAppRefused(response.status_code, error.get("code"))
        return response.json()["messages"][0]["id"]


class WhatsAppGateway(DependencyProvider):
    def setup(self):
        self.client = WhatsAppClient(self.container.config["SETTINGS"].whatsapp)

    def get_dependency(self, worker_ctx):
        return self.client
