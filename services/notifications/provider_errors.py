"""A provider's refusal of one message, whichever provider it is (sms.py, whatsapp.py): callers decide on
the HTTP status whether it is for good or worth retrying."""


class ProviderRefused(Exception):
    """The provider refused the message; the status and the code are the provider's."""

    provider = "the provider"

    def __init__(self, status: int, code):
        super().__init__(f"{self.provider} refused the message: HTTP {status}, code {code}")
        self.status = status
        self.code = code
