"""A fake SMS provider speaking Twilio's Messages API, for local runs and tests.

POST /2010-04-01/Accounts/<sid>/Messages.json (form-encoded To, From, Body,
HTTP basic auth) answers 201 with a message sid, as the provider does, and
records the message; GET /messages lists what would have been sent. It holds
phone numbers, like a real provider: for development only.
"""
import argparse
import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

from tools.provider_sink import JsonHandler, RecordingServer


NOT_FOUND = {"code": 20404, "message": "The requested resource was not found", "status": 404}


class SmsSink(RecordingServer):
    def __init__(self, address, account_sid: str, auth_token: str, record_file: Path | None = None):
        super().__init__(address, _Handler, record_file)
        self.account_sid = account_sid
        self.auth_token = auth_token


class _Handler(JsonHandler):
    server: SmsSink
    not_found = NOT_FOUND

    def do_POST(self):
        expected_path = f"/2010-04-01/Accounts/{self.server.account_sid}/Messages.json"
        if self.path != expected_path:
            return self._reply(404, NOT_FOUND)
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
    return SmsSink((args.host, args.port), args.account_sid, args.auth_token, args.record_file).serve("sms sink")


if __name__ == "__main__":
    raise SystemExit(main())
