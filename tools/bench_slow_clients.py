"""`make bench-slow-clients`: does intake still take hotline and SMS messages quickly while slow
clients hold connections open?

Starts intake as its own process (a database and a RabbitMQ vhost of its own), opens S slow
connections (each announces a 500-byte body and sends a few bytes of it, from 127.0.0.2, 127.0.0.3,
... eight per address, under the per-address cap), then sends M hotline entries and M Twilio SMS
one after another and times each answer. The goal: every one accepted within 1 s.
"""
import argparse
import os
import socket
import sys
import time
import uuid

import psycopg
import requests

from services.identity.commands import dev_token
from chassis.signatures import twilio_signature
from services.reporting.reports import percentile
from tools.bench import RABBIT_API, isolated_resources
from tools.platform import start_platform, stop_platform

GOAL_SECONDS = 1.0
PER_ADDRESS = 8


def slow_connection(port: int, number: int) -> socket.socket:
    sock = socket.socket()
    sock.bind((f"127.0.0.{2 + number // PER_ADDRESS}", 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"POST /v1/feedback HTTP/1.1\r\nHost: intake\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 500\r\n\r\n{\"coun")
    return sock


def timed(send) -> float:
    started = time.perf_counter()
    answer = send()
    elapsed = time.perf_counter() - started
    if answer.status_code >= 300:
        raise RuntimeError(f"refused: {answer.status_code} {answer.text[:200]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-s", "--slow", type=int, default=200, help="slow connections held open")
    parser.add_argument("-m", "--messages", type=int, default=20, help="hotline entries and SMS each")
    args = parser.parse_args()

    database_url, amqp_uri, vhost, _ = isolated_resources("cfm_bench_slow_clients", ("intake",))
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri, "CFM__TRACING__EXPORTER": "none",
           "CFM__LOGGING__LEVEL": "WARNING", "CFM__HTTP__BODY_TIMEOUT_SECONDS": "120",
           "CFM__HTTP__HEADER_TIMEOUT_SECONDS": "120"}
    processes, settings = start_platform(env, {"intake": {"CFM__HTTP__PORT": "18201",
                                                          "CFM__HTTP__METRICS_PORT": "19201"},
                                               "identity": {"CFM__HTTP__PORT": "18206",
                                                            "CFM__HTTP__METRICS_PORT": "19206"}},
                                         sink_args=("--port", "18299", "--record-file", os.devnull),
                                         services=("identity", "intake"))
    intake = settings["intake"]
    base = f"http://127.0.0.1:{intake.http.port}"
    token = dev_token(settings["identity"], subject="bench", role="agent", countries=["GN"])
    twilio_url = f"{base}/v1/channels/twilio/gn_sms_twilio"
    twilio_token = intake.endpoints["gn_sms_twilio"].secret.get_secret_value()

    def hotline():
        return requests.post(f"{base}/v1/feedback", timeout=30, headers={"Authorization": f"Bearer {token}"}, json={
            "country": "GN", "channel": "hotline", "language": "fr", "consent": {"callback": False},
            "narrative": f"Menace contre ma vie à Kindia, appel {uuid.uuid4().hex[:6]}"})

    def sms():
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+224622123456", "To": "+224620000001",
                "Body": f"Le paiement est en retard {uuid.uuid4().hex[:6]}"}
        return requests.post(twilio_url, data=form, timeout=30,
                             headers={"X-Twilio-Signature": twilio_signature(twilio_token, twilio_url, form.items())})

    slow: list[socket.socket] = []
    try:
        quiet = sorted(timed(send) for send in (hotline, sms) for _ in range(args.messages))
        slow = [slow_connection(intake.http.port, n) for n in range(args.slow)]
        time.sleep(1)  # let intake accept them all before measuring
        loaded = sorted(timed(send) for send in (hotline, sms) for _ in range(args.messages))
        still_open = sum(_waiting(sock) for sock in slow)
    finally:
        for sock in slow:
            sock.close()
        stop_platform(processes)
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=("guest", "guest"))
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS cfm_bench_slow_clients WITH (FORCE)")

    def line(label, values):
        return (f"{label:<34} p50 {percentile(values, 0.5) * 1000:6.0f} ms   p95 {percentile(values, 0.95) * 1000:6.0f} ms"
                f"   max {values[-1] * 1000:6.0f} ms")

    print(f"{2 * args.messages} messages (hotline + Twilio SMS), machine: {os.cpu_count()} cores")
    print(line("no slow clients", quiet))
    print(line(f"{args.slow} slow clients ({still_open} still open)", loaded))
    met = loaded[-1] <= GOAL_SECONDS
    print(f"goal: every message accepted within {GOAL_SECONDS:.0f} s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


def _waiting(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return not sock.recv(1) and False
    except BlockingIOError:
        return True


if __name__ == "__main__":
    sys.exit(main())
