"""The HTTP server under every service's routes: nameko's WebServer, guarded against slow and
greedy clients.

nameko hands a request to a worker (at most `amqp.max_workers` at once) before its body is read,
so ten clients that announce a body and then send it a byte at a time used to hold every worker
and silence the service. Here the connection's own green thread does the waiting instead:

- the request line and headers must arrive within `http.header_timeout_seconds` (also how long an
  idle keep-alive connection is kept), the whole body within `http.body_timeout_seconds` plus the
  time its length takes at `http.min_body_bytes_per_second`; otherwise 408 `request_timeout` and
  the connection is closed;
- the body is read whole into memory (at most `http.max_body_bytes`, else 413 `body_too_large`)
  before any worker is taken, so a worker only ever sees a complete request;
- one client address holds at most `http.max_connections_per_address` connections at once (the
  platform's own proxies, `http.trusted_proxies`, are exempt); one more is answered 429
  `too_many_connections` and closed.
"""
import io
import ipaddress
import json
import logging
import socket
from collections import Counter
from functools import partial

import eventlet
from eventlet import wsgi
from nameko.extensions import DependencyProvider
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from chassis import metrics

log = logging.getLogger(__name__)

SERVER_ROUTE = "(server)"  # the route label of refusals made before a route is matched


class Refusal(Exception):
    """A request the server answers itself, before any route or worker, and then hangs up on."""

    def __init__(self, status: int, reason: str, code: str, message: str, headers: dict | None = None):
        super().__init__(code)
        self.status, self.reason, self.code, self.message = status, reason, code, message
        self.headers = headers or {}

    def response_bytes(self) -> bytes:
        body = json.dumps({"error": {"code": self.code, "message": self.message, "details": []}}).encode()
        head = [f"HTTP/1.1 {self.status} {self.reason}", "Content-Type: application/json",
                f"Content-Length: {len(body)}", "Connection: close",
                *(f"{name}: {value}" for name, value in self.headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _timed_out() -> Refusal:
    return Refusal(408, "Request Timeout", "request_timeout",
                   "The request did not arrive in time; the connection is closed.")


def _too_large() -> Refusal:
    return Refusal(413, "Content Too Large", "body_too_large", "The body is larger than this endpoint accepts.")


class _BodyRead:
    """Stands in for eventlet's input once the body is read whole, so eventlet has nothing
    left to discard (discarding would wait on the client again, without a deadline)."""

    chunked_input = False
    position = content_length = 0
    should_send_hundred_continue = False


class GuardedProtocol(HttpOnlyProtocol):
    """eventlet's HTTP/1.1 protocol with deadlines on the headers and the body."""

    def handle_one_request(self):
        self.raw_requestline = b""
        self._request_read = False
        self._header_deadline = eventlet.Timeout(self.server.header_timeout)
        try:
            super().handle_one_request()
        except (eventlet.Timeout, TimeoutError) as exc:  # the deadline, or one read's socket timeout
            if isinstance(exc, eventlet.Timeout) and exc is not self._header_deadline:
                raise
            # An idle keep-alive connection simply closes; a half-sent request hears why; a client
            # that stopped reading its answer hears nothing more.
            self._refuse(_timed_out(), quietly=not self.raw_requestline or self._request_read)
        except Refusal as refusal:
            self._refuse(refusal)
        finally:
            self._header_deadline.cancel()

    def get_environ(self):
        """Called once the headers are in: read the body now, against its own deadline."""
        self._header_deadline.cancel()
        environ = super().get_environ()
        body = self._read_body(environ["wsgi.input"])
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.input_terminated"] = True
        environ["eventlet.input"] = _BodyRead()
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        self._request_read = True
        return environ

    def _read_body(self, stream) -> bytes:
        limit = self.server.max_body_bytes
        declared = self.headers.get("content-length")
        chunked = "chunked" in (self.headers.get("transfer-encoding") or "").lower()
        if declared is not None and int(declared) > limit:
            raise _too_large()
        if not chunked and not int(declared or 0):
            return b""
        parts, size = [], 0
        expected = int(declared) if declared is not None else limit
        deadline = self.server.body_timeout + expected / self.server.min_body_rate
        with eventlet.Timeout(deadline, _timed_out()):
            while True:
                try:
                    part = stream.read(min(64 * 1024, limit + 1 - size))
                except TimeoutError:  # nothing at all for a whole socket timeout
                    raise _timed_out() from None
                if not part:
                    break
                parts.append(part)
                size += len(part)
                if size > limit:
                    raise _too_large()
        if declared is not None and size < int(declared):
            raise _timed_out()  # the client hung up half way: nobody to answer, close
        return b"".join(parts)

    def _refuse(self, refusal: Refusal, quietly: bool = False):
        self.close_connection = 1
        if quietly:
            return
        metrics.REQUESTS_REJECTED.labels(self.server.service_name, SERVER_ROUTE, refusal.code).inc()
        try:
            with eventlet.Timeout(1, False):
                self.wfile.write(refusal.response_bytes())
                self.wfile.flush()
        except OSError:
            pass


class JsonRouter(WsgiApp):
    """nameko's router, answering an unknown route or method in the platform's JSON error shape."""

    def __call__(self, environ, start_response):
        # A NUL in the address or a query parameter would reach PostgreSQL, which refuses it
        # (see chassis.http.without_nul).
        environ["QUERY_STRING"] = environ.get("QUERY_STRING", "").replace("%00", "")
        environ["PATH_INFO"] = environ.get("PATH_INFO", "").replace("\x00", "")
        request = Request(environ, shallow=True)
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except NotFound:
            response = _json_error(404, "not_found", "There is nothing at this address.")
        except MethodNotAllowed as exc:
            response = _json_error(405, "method_not_allowed", "This address does not take this method.",
                                   {"Allow": ", ".join(exc.valid_methods or [])})
        except HTTPException as exc:
            response = exc
        else:
            request.path_values = values
            response = provider.handle_request(request)
        return response(environ, start_response)


def _json_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = json.dumps({"error": {"code": code, "message": message, "details": []}})
    return Response(body, status=status, headers=headers, mimetype="application/json")


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted_proxies) -> str:
    """The client's address: the TCP peer, unless the peer is one of the platform's own proxies (or the
    console, for identity): then the right-most X-Forwarded-For hop that is not (anything left of it
    could be forged by the client)."""
    address = remote_addr or "unknown"
    if address_in(address, trusted_proxies) and forwarded_for:
        for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
            if not address_in(hop, trusted_proxies):
                return hop
    return address


def trusted_networks(entries) -> tuple:
    """`http.trusted_proxies` (addresses or networks) as networks."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def address_in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class GuardedWebServer(WebServer):
    """nameko's WebServer with the guards above; shared by every `@api` route of a service."""

    def start(self):
        http = self.container.config["SETTINGS"].http
        self.header_timeout = http.header_timeout_seconds
        self.body_timeout = http.body_timeout_seconds
        self.min_body_rate = http.min_body_bytes_per_second
        self.max_body_bytes = http.max_body_bytes
        self.max_per_address = http.max_connections_per_address
        self.exempt = trusted_networks(http.trusted_proxies)
        self.open_connections: Counter = Counter()
        super().start()

    def get_wsgi_app(self):
        return JsonRouter(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=GuardedProtocol, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)
        # Per read and write, however long the deadlines above: a client that stops reading its
        # answer is dropped too.
        server.socket_timeout = max(self.header_timeout, self.body_timeout)
        server.header_timeout = self.header_timeout
        server.body_timeout = self.body_timeout
        server.min_body_rate = self.min_body_rate
        server.max_body_bytes = self.max_body_bytes
        server.service_name = self.container.service_name
        server.log_output = False  # request lines carry query strings; the chassis logs what it needs
        return server

    def run(self):
        while self._is_accepting:
            try:
                sock, addr = self._sock.accept()
            except OSError as exc:  # out of file descriptors, for instance: wait, never die
                log.warning("accept failed", extra={"reason": type(exc).__name__})
                eventlet.sleep(0.1)
                continue
            peer = addr[0]
            if self.open_connections[peer] >= self.max_per_address and not address_in(peer, self.exempt):
                self.container.spawn_managed_thread(lambda sock=sock: self._turn_away(sock))
                continue
            self.open_connections[peer] += 1
            sock.settimeout(self._serv.socket_timeout)
            self.container.spawn_managed_thread(lambda sock=sock, addr=addr: self.process_request(sock, addr))

    def _turn_away(self, sock):
        metrics.REQUESTS_REJECTED.labels(self.container.service_name, SERVER_ROUTE, "too_many_connections").inc()
        refusal = Refusal(429, "Too Many Requests", "too_many_connections",
                          "Too many open connections from this address; try again shortly.", {"Retry-After": "1"})
        try:
            sock.settimeout(1)
            sock.sendall(refusal.response_bytes())
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()

    def process_request(self, sock, address):
        """One connection, to its end. Nothing a client does may escape from here: an error in a
        nameko managed thread would stop the whole service."""
        try:
            super().process_request(sock, address)
        except Exception as exc:
            log.debug("connection ended with an error", extra={"reason": type(exc).__name__})
        finally:
            self.open_connections[address[0]] -= 1
            if self.open_connections[address[0]] <= 0:
                del self.open_connections[address[0]]
            try:
                sock.close()
            except OSError:
                pass


class MetricsServer(DependencyProvider):
    """Prometheus's scrape target, on a port of its own (`http.metrics_port`), never the public one:
    the counts it shows (referrals made, messages per channel) are nobody's business outside the
    platform, and a port that the reverse proxy never routes and compose never publishes needs no
    secret to keep, rotate or leak. No port set: no metrics served."""

    def start(self):
        http = self.container.config["SETTINGS"].http
        self._sock = None
        if http.metrics_port is None:
            return
        self._sock = eventlet.listen((http.metrics_host, http.metrics_port))
        self._thread = self.container.spawn_managed_thread(partial(
            wsgi.server, self._sock, self._serve, log_output=False, socket_timeout=10, log=logging.getLogger(__name__)))

    def stop(self):
        if self._sock is not None:
            self._thread.kill()
            self._sock.close()
            self._sock = None

    kill = stop

    @staticmethod
    def _serve(environ, start_response):
        if environ.get("PATH_INFO") == "/metrics" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)(environ, start_response)
        return _json_error(404, "not_found", "Only /metrics is served here.")(environ, start_response)
