"""Value types shared by several contracts."""
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 code of the country whose programme owns the message"),
]
CaseReference = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}-\d{4}-\d{6}$"),
    Field(description="Reference given to the complainant, e.g. GN-2026-000042", examples=["GN-2026-000042"]),
]
LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
    Field(description="BCP 47 language tag, e.g. fr, en, ff (Pular), bm (Bambara)"),
]


class Contract(BaseModel):
    """Base of every contract model: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Channel(StrEnum):
    HOTLINE = "hotline"
    RECEPTION_DESK = "reception_desk"
    SUGGESTION_BOX = "suggestion_box"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    WEB_FORM = "web_form"
    KOBO = "kobo"


class Consent(Contract):
    callback: bool = Field(False, description="The person agreed to be contacted back")
    share_with_partners: bool = Field(False, description="The person agreed that a partner may receive their case")


class ContactDetails(Contract):
    """How to reach a complainant. Personal data: travels only inside intake's vault and its RPC."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32),
                     Field(description="As typed or sent; intake stores it in E.164 form")] | None = None
    email: EmailStr | None = None


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_SAID = "not_said"


class AgeGroup(StrEnum):
    """The age bands programmes disaggregate by."""

    UNDER_18 = "0-17"
    FROM_18_TO_24 = "18-24"
    FROM_25_TO_59 = "25-59"
    OVER_59 = "60+"


AdminName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Location(Contract):
    """Where the person is or what the message is about, as administrative levels."""

    adm1: AdminName | None = Field(None, description="Region, e.g. Kindia")
    adm2: AdminName | None = Field(None, description="Prefecture or cercle")
    adm3: AdminName | None = Field(None, description="Sub-prefecture or commune")
    place: AdminName | None = Field(None, description="Village, camp or neighbourhood, as said")


class Respondent(Contract):
    """Who spoke, for disaggregated reports; every field optional because people may not say."""

    sex: Sex | None = None
    age_group: AgeGroup | None = None
    disability: bool | None = None


class AgentAssessment(Contract):
    """What the agent who heard the person decided at once; it adds to the classifier's rules, never removes."""

    sensitive: bool = Field(False, description="It sounds sensitive: restrict the case to focal points at once")
    life_in_danger: bool = Field(False, description="A life is in danger: an emergency, supervisors alerted")


class AttachmentKind(StrEnum):
    AUDIO = "audio"
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"
    OTHER = "other"


class AttachmentRef(Contract):
    """A file the provider holds; the platform keeps the reference, never the bytes."""

    kind: AttachmentKind
    ref: Annotated[str, StringConstraints(min_length=1, max_length=2000)] = Field(
        description="Provider media id or URL")
    content_type: Annotated[str, StringConstraints(max_length=200)] | None = None
    filename: Annotated[str, StringConstraints(max_length=300)] | None = None
