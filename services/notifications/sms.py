"""Sending SMS through a Twilio-compatible Messages API.

POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded To,
From and Body, HTTP basic auth with the account sid and token; the answer
is JSON with the message `sid`.
"""
import requests
from nameko.extensions import DependencyProvider

from services.notifications.provider_errors import ProviderRefused


class SmsRefused(ProviderRefused):
    """Twilio refused the message; the code is Twilio's."""

    provider = "Twilio"


class SmsClient:
    def __init__(self, sms_settings):
        self.settings = sms_settings
        self.session = requests.Session()
        self.session.auth = (sms_settings.account_sid, sms_settings.auth_token.get_secret_value())

    def send(self, *, country: str, to: str, body: str) -> str:
        """Send one SMS; returns the provider's message id."""
        url = f"{self.settings.base_url}/2010-04-01/Accounts/{self.settings.account_sid}/Messages.json"
        response = self.session.post(url, data={"To": to, "From": self.settings.senders[country], "Body": body},
                                     timeout=self.settings.timeout_seconds)
        if response.status_code != 201:
            code = response.json().get("code") if "json" in response.headers.get("Content-Type", "") else None
            raise SmsRefused(response.status_code, code)
        return response.json()["sid"]


class SmsGateway(DependencyProvider):
    def setup(self):
        self.client = SmsClient(self.container.config["SETTINGS"].sms)

    def get_dependency(self, worker_ctx):
        return self.client
