"""deploy/rabbitmq: a broker user per service. The services run under their own users, and only
notifications and referrals may ask intake's vault for a contact: another service's user (or a process holding
its password) is refused by RabbitMQ before intake sees anything."""
import uuid
from urllib.parse import urlsplit

import amqp.exceptions
import pytest
import requests
from kombu import Connection, Exchange, Producer

from tests.conftest import RABBIT_API, RABBIT_AUTH, wait_for
from tests.integration.test_notifications import PHONE, sms_settings
from tools.broker_users import apply, definitions


@pytest.fixture
def broker_users(amqp_uri):
    """The users of tools.broker_users on this test's vhost; returns each service's AMQP URI."""
    vhost = urlsplit(amqp_uri).path.lstrip("/")
    prefix = f"cfmtest{uuid.uuid4().hex[:8]}"
    defs = definitions(prefix, vhost)
    passwords = {user["name"]: uuid.uuid4().hex for user in defs["users"]}
    apply(RABBIT_API, RABBIT_AUTH, defs, passwords)
    yield lambda service: f"amqp://{prefix}_{service}:{passwords[f'{prefix}_{service}']}@127.0.0.1:5672/{vhost}"
    for user in passwords:
        requests.delete(f"{RABBIT_API}/users/{user}", auth=RABBIT_AUTH, timeout=10)


def publish_rpc(uri: str, routing_key: str) -> None:
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        Producer(channel).publish({"args": [], "kwargs": {}}, exchange=Exchange("nameko-rpc", type="topic",
                                                                                 durable=True),
                                  routing_key=routing_key, declare=[Exchange("nameko-rpc", type="topic",
                                                                             durable=True)])


@pytest.mark.security
def test_only_notifications_referrals_and_cases_may_call_the_vault(broker_users):
    for service in ("reporting", "identity", "console"):
        with pytest.raises(amqp.exceptions.AccessRefused):
            publish_rpc(broker_users(service), "intake.reveal_contact")
    # cases for the number of a callback task, on an agent's behalf.
    for service in ("notifications", "referrals", "cases"):
        publish_rpc(broker_users(service), "intake.reveal_contact")  # allowed (intake then checks why)


@pytest.mark.security
def test_a_service_user_cannot_read_another_services_queue(broker_users):
    with Connection(broker_users("intake")) as conn:
        conn.channel().queue_declare("rpc-intake", durable=True, auto_delete=False)
    with Connection(broker_users("reporting")) as conn:
        with pytest.raises(amqp.exceptions.AccessRefused):
            conn.channel().basic_get("rpc-intake")  # to read intake's requests (and the contact_refs in them)


def test_the_services_work_under_their_own_users(run_service, broker_users, db, sms_sink):  # noqa: F811
    """A message through intake, cases and notifications, each on its own user, ends in the complainant's
    acknowledgement; referrals and reporting start and consume under theirs."""
    services = {name: run_service(name, amqp={"uri": broker_users(name)},
                                  **({"sms": sms_settings(sms_sink)} if name == "notifications" else {}))
                for name in ("intake", "cases", "referrals", "notifications", "reporting")}
    intake = services["intake"]
    submission = {"country": "GN", "channel": "hotline", "language": "fr", "narrative": "Le paiement est en retard.",
                  "contact": {"phone": "622 98 76 54"}, "consent": {"callback": True}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=submission, headers=intake.headers()).json()[
        "reference"]
    wait_for(lambda: sms_sink.messages, timeout=20)
    assert sms_sink.messages[0]["to"] == PHONE and reference in sms_sink.messages[0]["body"]
    wait_for(lambda: db.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] >= 2, timeout=20)
    for service in services.values():
        assert requests.get(f"{service.url}/health/ready", timeout=10).status_code == 200
