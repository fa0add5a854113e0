"""A fake WhatsApp Cloud API (Meta's Graph API) for local runs and tests.

POST /<version>/<phone_number_id>/messages with `Authorization: Bearer <token>` and the Cloud API's JSON
(`messaging_product: whatsapp`, `to`, `type: text` with `text.body`, or `type: template` with `template.name`
and `template.language.code`) answers 200 `{"messaging_product": "whatsapp", "contacts": [...], "messages":
[{"id": "wamid...."}]}` as Meta does, and records the message; errors come as `{"error": {...}}` with Meta's
codes. GET /messages lists what would have been sent. It holds phone numbers: for development only.
"""
import argparse
import json
import re
import uuid

from tools.provider_sink import JsonHandler, RecordingServer

MESSAGES_PATH = re.compile(r"^/(v\d+\.\d+)/(\d+)/messages$")


class WhatsAppSink(RecordingServer):
    def __init__(self, address, access_token: str):
        super().__init__(address, _Handler)
        self.access_token = access_token
        self.unreachable: set[str] = set()  # numbers refused as Meta refuses one outside a test allow-list


def _error(code: int, message: str, kind: str = "OAuthException") -> dict:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "A" + uuid.uuid4().hex[:20]}}


class _Handler(JsonHandler):
    server: WhatsAppSink
    not_found = _error(100, "Unsupported get request.", "GraphMethodException")

    def do_POST(self):
        path = MESSAGES_PATH.match(self.path)
        if path is None:
            return self._reply(404, _error(100, "Unsupported post request.", "GraphMethodException"))
        if self.headers.get("Authorization") != f"Bearer {self.server.access_token}":
            return self._reply(401, _error(190, "Invalid OAuth access token."))
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        except ValueError:
            return self._reply(400, _error(100, "Invalid parameter"))
        kind, to = body.get("type"), body.get("to")
        valid = (body.get("messaging_product") == "whatsapp" and isinstance(to, str) and to.isdigit()
                 and ((kind == "text" and body.get("text", {}).get("body"))
                      or (kind == "template" and body.get("template", {}).get("name")
                          and body["template"].get("language", {}).get("code"))))
        if not valid:
            return self._reply(400, _error(131008, "Required parameter is missing"))
        if to in self.server.unreachable:
            return self._reply(400, _error(131030, "Recipient phone number not in allowed list"))
        message_id = "wamid." + uuid.uuid4().hex
        self.server.record({"id": message_id, "phone_number_id": path.group(2), "version": path.group(1), **body})
        self._reply(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                          "messages": [{"id": message_id}]})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--access-token", default="dev-whatsapp-token")
    args = parser.parse_args(argv)
    return WhatsAppSink((args.host, args.port), args.access_token).serve("whatsapp sink")


if __name__ == "__main__":
    raise SystemExit(main())
