"""The operators' and admins' journey through the console, in a real browser against the real platform: an ops
person reads each service's readiness, finds a parked message and replays it, sees which channels went
silent; an admin invites a person and disables another. Every page is checked with axe-core, for CSP
violations and for its weight."""
import re
import time
from datetime import UTC, datetime
from uuid import uuid4

import pyotp
import requests
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from playwright.sync_api import expect

from contracts.envelope import Envelope
from contracts.events import FeedbackReceived
from services.identity.commands import dev_token
from tests.browser.accounts import api_token, enrolled_account, invite

PASSWORD = "boke harbour at noon 2026"


def setup_token(platform, role: str) -> str:
    """A development token from identity's own key, for the set-up only (no second factor to spend)."""
    return dev_token(platform.settings["identity"], role=role, countries=["GN"], subject=f"setup-{role}")


def publish_poison_message(platform) -> str:
    """A Guinean feedback_received whose payload breaks its contract (no reference), published on intake's
    exchange as the outbox relay would: each consumer parks it. Returns its message id."""
    envelope = Envelope.wrap(FeedbackReceived(
        feedback_id=uuid4(), reference="GN-2026-999999", channel="sms", language="fr",
        narrative="Quand aura lieu la distribution ?", received_at=datetime.now(UTC)), country="GN",
        producer="intake", correlation_id=uuid4())
    body = envelope.model_dump(mode="json")
    del body["payload"]["reference"]
    exchange = get_event_exchange("intake", {})
    Publisher(platform.settings["cases"].amqp.uri, use_confirms=True, declare=[exchange]).publish(
        body, exchange=exchange, routing_key=envelope.routing_key, message_id=str(envelope.message_id))
    return str(envelope.message_id)


def sign_in_with_second_factor(page, username: str, secret: str) -> None:
    page.goto("/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    # The enrolment spent the current code; the next one is accepted (one step ahead, for a slow typist).
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Vérifier").click()


def reload_until(page, locator, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while locator.count() == 0:
        assert time.monotonic() < deadline, "not shown in time"
        time.sleep(0.3)
        page.reload()


def test_an_ops_person_sees_each_service_ready_and_replays_a_parked_message(platform, visit):
    identity = platform.urls["identity"]
    secret = enrolled_account(identity, setup_token(platform, "admin"), "ops.gn", "ops", PASSWORD)
    hotline = requests.post(f"{platform.urls['intake']}/v1/feedback",
                            headers={"Authorization": f"Bearer {setup_token(platform, 'agent')}"},
                            json={"country": "GN", "channel": "hotline", "narrative": "Merci pour l'accueil."})
    assert hotline.status_code == 202, hotline.text
    message_id = publish_poison_message(platform)

    browser = visit(platform.console)
    page = browser.page
    sign_in_with_second_factor(page, "ops.gn", secret)

    # The ops home: every service ready, none of its outbox behind.
    expect(page.get_by_role("heading", name="État de la plateforme", level=1)).to_be_visible()
    for service in ("Identité", "Réception", "Cas", "Références", "Notifications", "Rapports"):
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=service, exact=True))
        expect(row).to_contain_text("Prêt")

    # The parked message: its metadata, never its content.
    parked_row = page.locator("tr[id^='parked-cases-']").filter(has_text=message_id)
    reload_until(page, parked_row)
    expect(parked_row).to_contain_text("Message reçu")                     # the event, in words
    expect(parked_row.locator("code").first).to_contain_text("feedback_received")  # its queue, as RabbitMQ names it
    expect(parked_row).to_contain_text("ValidationError")
    assert "Quand aura lieu" not in page.content()
    # The channels: the hotline just brought a message; Guinea's SMS numbers never did.
    channels = page.locator("section[aria-labelledby='channels-h']")
    expect(channels.get_by_role("row").filter(has_text="Ligne d'appel").first).to_contain_text("Actif")
    expect(channels.get_by_role("row").filter(has_text="SMS").first).to_contain_text("Silencieux")
    browser.check("ops-01-health")

    # Replay, with the keyboard: the message goes back on its queue and leaves the list.
    parked_id = parked_row.get_attribute("id")
    parked_row.get_by_role("button", name=re.compile("^Rejouer")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Message remis dans sa file : le service le traite à nouveau.")
    expect(page.locator(f"#{parked_id}")).to_have_count(0)
    browser.check()

    # User administration is an admin's, not an operator's.
    assert page.goto("/users").status == 403
    page.goto("/health")

    # The same page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("heading", name="État de la plateforme", level=1)).to_be_visible()
    browser.check("ops-02-health-phone")


def test_an_admin_invites_a_person_and_disables_another(platform, visit):
    identity = platform.urls["identity"]
    setup = setup_token(platform, "admin")
    secret = enrolled_account(identity, setup, "admin.gn", "admin", PASSWORD)
    invite(identity, setup, "ibrahima.sow", "agent", PASSWORD)
    assert api_token(identity, "ibrahima.sow", PASSWORD)

    browser = visit(platform.console)
    page = browser.page
    sign_in_with_second_factor(page, "admin.gn", secret)

    # The admin home: the accounts of their countries and the invitation form.
    expect(page.get_by_role("heading", name="Utilisateurs", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="ibrahima.sow")).to_be_visible()
    browser.check("admin-01-users")

    # An invitation: a missing name is pointed at, then the one-time link is shown once.
    page.get_by_label("Identifiant").fill("aissatou.barry")
    page.get_by_role("button", name="Créer le lien d'invitation").click()
    expect(page.get_by_label("Nom affiché")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Nom affiché").fill("Aïssatou Barry")
    page.get_by_label("Rôle").select_option("supervisor")
    page.get_by_role("button", name="Créer le lien d'invitation").click()
    expect(page.get_by_role("heading", name="Lien d'invitation")).to_be_visible()
    link = page.locator("#account-link").inner_text()
    assert "/account/invitation#" in link and "aissatou" not in page.url
    browser.check("admin-02-invitation-link")

    # Another person leaves: their account is disabled, and they can no longer sign in.
    page.get_by_role("link", name="Tous les utilisateurs").click()
    page.get_by_role("link", name="ibrahima.sow").click()
    expect(page.get_by_role("heading", name="ibrahima.sow")).to_be_visible()
    browser.check("admin-03-user")
    page.get_by_role("button", name="Désactiver le compte").click()
    expect(page.get_by_role("status")).to_have_text("Compte désactivé ; ses sessions ont pris fin.")
    expect(page.locator(".case-head")).to_contain_text("Désactivé")
    expect(page.locator(".timeline")).to_contain_text("Désactivé")
    browser.check()
    refused = requests.post(f"{identity}/v1/sign-in", json={"username": "ibrahima.sow", "password": PASSWORD})
    assert refused.json()["error"]["code"] == "invalid_credentials"

    # Their own account: nothing to change here (identity refuses it too).
    page.goto("/users")
    page.get_by_role("link", name="admin.gn").click()
    expect(page.get_by_text("C'est votre compte : un autre administrateur doit le modifier.")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer le rôle et les pays")).to_have_count(0)
