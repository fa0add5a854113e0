"""`make run`: start the SMS sink and the five services, wait until each is
ready, print where they are with development tokens, and keep running until
Ctrl-C (which stops them all)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from chassis.services import SERVICES, load_service
from chassis.settings import load_settings
from services.identity.commands import dev_token, seed_demo_accounts

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "log"


def start_process(name: str, args: list[str], env: dict) -> subprocess.Popen:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_file = (LOG_DIR / f"{name}.log").open("a")
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)


def wait_ready(url: str, timeout: float = 150) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.3)
    return False


def start_service(name: str, env: dict) -> tuple[subprocess.Popen, object]:
    """Start one service's process with this whole environment (not waiting for it to be ready);
    returns the process and the settings it reads."""
    settings = load_settings(load_service(name)[1], name, environ=env)  # a settings error starts nothing
    return start_process(name, ["-m", "chassis.run", name], env), settings


def wait_service_ready(name: str, settings) -> None:
    http = settings.http
    if not wait_ready(f"http://{http.host}:{http.port}/health/ready"):
        raise RuntimeError(f"{name} did not become ready; see var/log/{name}.log")


def start_platform(env: dict | None = None, service_env: dict[str, dict] | None = None,
                   sink_args: tuple[str, ...] = (), services: tuple[str, ...] = SERVICES,
                   ) -> tuple[dict[str, subprocess.Popen], dict]:
    """Start everything (or only `services`); returns the processes and each service's settings.
    `env` applies to every process, `service_env[name]` to one service only (tests use both)."""
    env = {**os.environ, **(env or {})}
    if "identity" in services and "CFM__AUTH__JWKS_URL" not in env and "CFM__AUTH__JWKS" not in env:
        # Every service trusts the keys of the identity service started here.
        identity_env = {**env, **(service_env or {}).get("identity", {})}
        identity_http = load_settings(load_service("identity")[1], "identity", environ=identity_env).http
        env["CFM__AUTH__JWKS_URL"] = f"http://{identity_http.host}:{identity_http.port}/.well-known/jwks.json"
        env["CFM__AUTH__REVOCATIONS_URL"] = f"http://{identity_http.host}:{identity_http.port}/v1/ended-sessions"
    processes = {"sms-sink": start_process("sms-sink", ["-m", "tools.sms_sink", *sink_args], env)}
    settings = {}
    try:
        for name in services:
            processes[name], settings[name] = start_service(name, {**env, **(service_env or {}).get(name, {})})
        for name in services:
            wait_service_ready(name, settings[name])
        # A process that could not take its port exits at once, while whatever holds the port (an
        # earlier run left behind) may answer the readiness checks in its place.
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start-up (is its port taken by an earlier run?); "
                                   f"see var/log/{name}.log")
    except BaseException:
        stop_platform(processes)  # never leave half a platform running
        raise
    return processes, settings


def stop_platform(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _interrupt(*_):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # stop the children on SIGTERM too, not only Ctrl-C
    print("Starting the platform (logs in var/log/) ...", flush=True)
    processes, settings = start_platform()
    print("\nThe platform is up:")
    for name in SERVICES:
        http = settings[name].http
        print(f"  {name:<14} http://{http.host}:{http.port}   (/health/ready)   "
              f"metrics: http://{http.metrics_host}:{http.metrics_port}/metrics")
    print("  sms sink       http://127.0.0.1:8099/messages   (what would have been sent)")
    console = settings["console"].http
    print(f"\nThe console: open http://{console.host}:{console.port}/ in a browser and sign in with an account below.")
    print("\nDemo accounts (development only; sign in at identity, POST /v1/sign-in; new passwords at each start;")
    print("those with a TOTP secret: codes from any authenticator app, or python -c \"import pyotp; "
          "print(pyotp.TOTP('<secret>').now())\"):")
    for account in seed_demo_accounts(settings["identity"]):
        totp = f"   TOTP secret {account['totp_secret']}" if account["totp_secret"] else ""
        print(f"  {account['username']:<14} {account['role']:<12} {','.join(account['countries']):<6} "
              f"password {account['password']!r}{totp}")
    print("\nDevelopment tokens (15 minutes; `make token ROLE=agent COUNTRY=GN` gives a new one):")
    for role, countries in (("agent", ["GN"]), ("focal_point", ["GN", "ML"]), ("manager", ["GN", "ML", "SN"])):
        token = dev_token(settings["identity"], role=role, countries=countries)
        print(f"  {role} ({','.join(countries)}): {token}")
    print("\nTry it:  TOKEN=<agent token above>")
    print('  curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" '
          "-d @contracts/examples/http.FeedbackSubmission.json http://127.0.0.1:8001/v1/feedback")
    print('  curl -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:8005/v1/search?q=paiement"')
    print("Or, in another terminal: make demo.   Ctrl-C stops everything.", flush=True)
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(1)
        dead = [name for name, process in processes.items() if process.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited; see var/log/", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping ...")
        return 0
    finally:
        stop_platform(processes)


if __name__ == "__main__":
    sys.exit(main())
