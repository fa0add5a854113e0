"""The whole platform as separate processes, on a vhost, index prefix and fake SMS provider of
its own, for e2e modules that share one start-up across their tests."""
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from chassis.migrate import declare_queues
from chassis.services import SERVICES
from tests.conftest import ES_URL, RABBIT_API, RABBIT_AUTH, TEST_AUTH_ENV, delete_test_indices, free_port
from tests.tokens import bearer
from tools.platform import start_platform, stop_platform


@dataclass
class Platform:
    urls: dict[str, str]
    settings: dict
    amqp_uri: str
    database_url: str
    work_dir: Path

    def headers(self, role: str, countries=("GN",), subject: str | None = None) -> dict:
        return bearer(role, countries, subject=subject or f"e2e-{role}")


@contextmanager
def running_platform(database_url: str, env: dict | None = None, before_start=None):
    """Start the five services and the SMS sink; `before_start(amqp_uri)` may declare extra queues."""
    vhost = f"cfm-test-{uuid.uuid4().hex[:10]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    declare_queues(amqp_uri)
    if before_start:
        before_start(amqp_uri)
    work_dir = Path(tempfile.mkdtemp(prefix="cfm-e2e-"))
    es_prefix = f"test-{uuid.uuid4().hex[:10]}"
    sink_port = free_port()
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri, "CFM__ELASTICSEARCH__URL": ES_URL,
           "CFM__ELASTICSEARCH__INDEX_PREFIX": es_prefix, "CFM__TRACING__EXPORTER": "none",
           "CFM__SMS__BASE_URL": f"http://127.0.0.1:{sink_port}", **TEST_AUTH_ENV, **(env or {})}
    service_env = {name: {"CFM__HTTP__PORT": str(free_port()), "CFM__HTTP__METRICS_PORT": str(free_port())}
                   for name in SERVICES}
    processes = {}
    try:
        processes, settings = start_platform(env, service_env, sink_args=(
            "--port", str(sink_port), "--record-file", str(work_dir / "sms.jsonl")))
        urls = {name: f"http://127.0.0.1:{settings[name].http.port}" for name in SERVICES}
        urls["sms-sink"] = f"http://127.0.0.1:{sink_port}"
        yield Platform(urls, settings, amqp_uri, database_url, work_dir)
    finally:
        stop_platform(processes)
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10)
        delete_test_indices(es_prefix)
        shutil.rmtree(work_dir, ignore_errors=True)
