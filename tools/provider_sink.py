"""What the fake providers (tools/sms_sink.py, tools/whatsapp_sink.py) share: an HTTP server that records
each message it was asked to send, lists them at GET /messages, and answers in JSON. It never logs a
request: they hold phone numbers."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class RecordingServer(ThreadingHTTPServer):
    def __init__(self, address, handler, record_file: Path | None = None):
        super().__init__(address, handler)
        self.record_file = record_file
        self.messages: list[dict] = []
        self.lock = threading.Lock()

    def serve(self, name: str) -> int:
        """Serve until Ctrl-C, having said where (the command-line entry of each fake provider)."""
        host, port = self.server_address[:2]
        print(f"{name} listening on http://{host}:{port}", flush=True)
        try:
            self.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0

    def record(self, message: dict) -> None:
        with self.lock:
            self.messages.append(message)
            if self.record_file:
                self.record_file.parent.mkdir(parents=True, exist_ok=True)
                with self.record_file.open("a") as out:
                    out.write(json.dumps(message, ensure_ascii=False) + "\n")


class JsonHandler(BaseHTTPRequestHandler):
    """GET /messages, and `not_found` (the provider's own error body) for any other GET."""

    server: RecordingServer
    not_found: dict = {}

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
        self._reply(404, self.not_found)
