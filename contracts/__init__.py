"""Versioned contracts between the services: every event, RPC and HTTP body.

Services import models from here and never from each other. The rules for
changing a contract are in VERSIONING.md; `make contracts` rewrites the JSON
Schema snapshots after an intended change, and tests fail when models and
snapshots drift apart.
"""
from contracts.common import Channel, Consent, ContactDetails, CountryCode, CaseReference
from contracts.envelope import Envelope, EventPayload, event_types, payload_model
from contracts.events import CaseOpened, FeedbackReceived, NotificationSent, ReferralCreated

__all__ = [
    "CaseOpened", "CaseReference", "Channel", "Consent", "ContactDetails", "CountryCode",
    "Envelope", "EventPayload", "FeedbackReceived", "NotificationSent", "ReferralCreated",
    "event_types", "payload_model",
]
