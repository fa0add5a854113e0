"""A fake SMS provider speaking Twilio's Messages API, for local runs and tests.

POST /2010-04-01/Accounts/<sid>/Messages.json (form-encoded To, From, Body,
HTTP basic auth) answers 201 with a message sid, as the provider does, and
records the message; GET /messages lists what would have been sent. It holds
phone numbers, like a real provider: for development only.
"""
import argparse
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs
import base64


class SmsSink(ThreadingHTTPServer):
    def __init__(self, address, account_sid: str, auth_token: str, record_file: Path | None = None):
        super().__init__(address, _Handler)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.record_file = record_file
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    def record(self, message: dict) -> None:
        with self.lock:
            self.messages.append(message)
            if self.record_file:
                self.record_file.parent.mkdir(parents=True, exist_ok=True)
                with self.record_file.open("a") as out:
                    out.write(json.dumps(message, ensure_ascii=False) + "\n")


class _Handler(BaseHTTPRequestHandler):
    server: SmsSink

    def log_message(self, *args):  # keep phone numbers out of the console
        pass

    def _reply(self, status: int, body: dict | list) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/") == "/messages":
            with self.server.lock:
                return self._reply(200, list(self.server.messages))
        self._reply(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})

    def do_POST(self):
        expected_path = f"/2010-04-01/Accounts/{self.server.account_sid}/Messages.json"
        if self.path != expected_path:
            return self._reply(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
        expected_auth = base64.b64encode(f"{self.server.account_sid}:{self.server.auth_token}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected_auth}":
            return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        to, sender, body = (form.get(key, [None])[0] for key in ("To", "From", "Body"))
        if not to or not to.startswith("+"):
            return self._reply(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.",
                                     "status": 400})
        if not body:
            return self._reply(400, {"code": 21602, "message": "Message body is required.", "status": 400})
        sid = "SM" + uuid.uuid4().hex
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        message = {"sid": sid, "account_sid": self.server.account_sid, "to": to, "from": sender, "body": body,
                   "status": "queued", "date_created": now, "direction": "outbound-api", "num_segments": "1"}
        self.server.record(message)
        self._reply(201, message)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default="ACdev00000000000000000000000000000")
    parser.add_argument("--auth-token", default="dev-sms-token")
    parser.add_argument("--record-file", type=Path, default=Path("var/sms-sink/messages.jsonl"))
    args = parser.parse_args(argv)
    server = SmsSink((args.host, args.port), args.account_sid, args.auth_token, args.record_file)
    print(f"sms sink listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
