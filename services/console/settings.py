"""Settings of the console: where the other services' APIs are, and how sessions are kept."""
import base64
from datetime import timedelta

from pydantic import Field, SecretStr, model_validator

from chassis.settings import Section, ServiceSettings



class ApiSettings(Section):
    identity: str
    intake: str
    cases: str
    reporting: str


class SessionSettings(Section):
    key: SecretStr                                   # base64 of 32 bytes; encrypts the tokens a session holds
    idle_timeout: timedelta = Field(timedelta(minutes=30), le=timedelta(minutes=30))
    sign_in_timeout: timedelta = timedelta(minutes=10)   # a sign-in left half-way is forgotten
    cleanup_seconds: float = 300

    @model_validator(mode="after")
    def key_is_32_bytes(self):
        if len(base64.b64decode(self.key.get_secret_value())) != 32:
            raise ValueError("session.key must be base64 of 32 bytes")
        return self


class ConsoleSettings(ServiceSettings):
    apis: ApiSettings
    session: SessionSettings
    hotlines: dict[str, str] = {}

    @property
    def development(self) -> bool:
        """Outside development the cookie is Secure; the chassis refuses the development session key there."""
        return self.environment == "development"
