"""Rate limit of the public web form: at most `channels.web_form_rate_limit.requests` messages per
`per_seconds`, for each endpoint and real client address, counted in PostgreSQL so that every
intake replica shares one count.

The client is the TCP peer, unless the peer is one of the platform's own reverse proxies
(`http.trusted_proxies`, addresses or networks): then the right-most address of X-Forwarded-For
that is not a trusted proxy (anything left of it could be forged by the client). An IPv6 client
is counted by its /64, which one household or phone holds whole.

PostgreSQL rather than Redis: every service and the deployment already depend on it, so a shared
count costs no new component to run, secure, back up and watch; at a web form's rate (a few
messages a second at most) one small indexed table is ample."""
import hashlib
import hmac
import ipaddress
import math

from nameko.extensions import DependencyProvider

from chassis.server import client_address, trusted_networks
from services.intake import repository


def client_key(address: str) -> str:
    """What one client is counted by: an IPv4 address, an IPv6 /64, else the text given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class WebFormRateLimit(DependencyProvider):
    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.limit = settings.channels.web_form_rate_limit
        self.trusted = trusted_networks(settings.http.trusted_proxies)
        # Clients are stored as a keyed hash; the key is derived from the vault's index key, which
        # every replica has and which never leaves intake.
        self._key = hmac.new(settings.vault.index_key.get_secret_value().encode(), b"web-form-rate-limit",
                             hashlib.sha256).digest()

    def get_dependency(self, worker_ctx):
        return self

    def client(self, request) -> str:
        return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), self.trusted)

    def retry_after(self, uow_factory, endpoint_id: str, client: str) -> int | None:
        """None when this message may go ahead (and it is counted), else the seconds to wait."""
        hashed = hmac.new(self._key, client_key(client).encode(), hashlib.sha256).hexdigest()
        with uow_factory() as uow:
            wait = repository.take_web_form_slot(uow.conn, endpoint_id, hashed, self.limit.requests,
                                                 self.limit.per_seconds)
        return None if wait is None else max(1, math.ceil(wait))
