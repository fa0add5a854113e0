"""One platform shared by the e2e modules whose tests do not disturb each other (each reads only what
it sent): starting every service as a process is the slowest thing the suite does.

It has a database of its own, so that the `db` fixture of the other tests, which empties the test
database, never pulls rows from under running services. A module whose tests need a setting of their
own (an adjustable clock, an SMS cap) or an exact count of everything in the database starts its own."""
import pytest
from kombu import Connection, Exchange, Queue

from tests.channel_payloads import env_for_endpoint_secrets
from tests.conftest import TEST_DATABASE
from tests.e2e.platform import running_platform
from tests.platform import drop_database, fresh_database

INTAKE_EVENTS_QUEUE = "e2e-intake-events"


def declare_intake_events_queue(amqp_uri: str) -> None:
    """A consumer of intake's events of the tests' own, to read CallRecorded and StatusRequested."""
    with Connection(amqp_uri) as conn:
        Queue(INTAKE_EVENTS_QUEUE, exchange=Exchange("intake.events", type="topic", durable=True),
              routing_key="#", durable=True)(conn.channel()).declare()


@pytest.fixture(scope="package")
def shared_platform(tmp_path_factory):
    """Every service as a process: the channels' endpoint secrets set, traces written to files
    (settings' tracing.file_dir), and intake's events also kept in INTAKE_EVENTS_QUEUE."""
    database = f"{TEST_DATABASE}_e2e"
    trace_dir = tmp_path_factory.mktemp("traces")  # pytest's: kept after a failure, to read
    env = {**env_for_endpoint_secrets(), "CFM__TRACING__EXPORTER": "file", "CFM__TRACING__FILE_DIR": str(trace_dir)}
    try:
        with running_platform(fresh_database(database), env, before_start=declare_intake_events_queue) as running:
            yield running
    finally:
        drop_database(database)
