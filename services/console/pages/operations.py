"""The operators' health page: each service's readiness, its parked messages (metadata only: a parked
message's body may hold a person's words) with a replay button, its outbox's lag, and the channels that
went silent. Everything is read from the services' own endpoints with the operator's token."""
import eventlet

from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time
from services.console.platform_api import Unavailable

PARKED_FIELDS = ("id", "queue", "message_id", "event_type", "attempts", "error_type", "parked_at")


class OperationsPages:
    def _service_health(self, service: str, token: str) -> dict:
        apis = self.tools.apis
        try:
            ready = apis.readiness(service)
            state, failing = domain.readiness_state(ready.status, ready.body)
        except Unavailable:
            return {"name": service, "state": "unreachable", "failing": [], "parked": None, "outbox": None}
        try:
            parked = apis.call(service, "GET", "/admin/parked", token=token)
            outbox = apis.call(service, "GET", "/admin/outbox", token=token)
        except Unavailable:
            parked = outbox = None
        return {
            "name": service, "state": state, "failing": failing,
            # Only the fields named here reach the page, whatever a newer service adds to its answer.
            "parked": [{field: row.get(field) for field in PARKED_FIELDS} for row in parked.body.get("parked", [])]
                      if parked is not None and parked.ok else None,
            "outbox": outbox.body if outbox is not None and outbox.ok else None,
        }

    def _channels(self, token: str, now) -> list[dict] | None:
        try:
            answer = self.tools.apis.call("intake", "GET", "/v1/channels/activity", token=token)
        except Unavailable:
            return None
        if not answer.ok:
            return None
        settings = self.settings.operations
        rows = []
        for row in answer.body.get("channels", []):
            last = parse_time(row["last_received_at"])
            quiet_after = settings.silent_after_by_channel.get(row["channel"], settings.silent_after)
            rows.append({**row, "state": domain.channel_state(last, now, quiet_after),
                         "ago": domain.elapsed(last, now), "quiet_after": domain.elapsed(now - quiet_after, now)})
        # The silent ones first: they are what the operator came for.
        return sorted(rows, key=lambda row: (row["state"] != "silent", row["country"], row["channel"]))

    def _health_page(self, session, now):
        token = self._token(session, now)
        # The services are asked side by side: each readiness check opens a database and a broker connection.
        pool = eventlet.GreenPool(len(domain.WATCHED_SERVICES) + 1)
        channels = pool.spawn(self._channels, token, now)
        services = list(pool.imap(lambda name: self._service_health(name, token), domain.WATCHED_SERVICES))
        warning_after = self.settings.operations.outbox_lag_warning
        for service in services:
            if service["outbox"]:
                service["outbox"]["state"] = domain.outbox_state(service["outbox"]["lag_seconds"], warning_after)
        parked = [{**row, "service": service["name"]} for service in services for row in service["parked"] or ()]
        return self._page(session, "health.html", services=services, parked=parked,
                          channels=channels.wait(), now=now,
                          utc=lambda value: parse_time(value).strftime("%d/%m/%Y %H:%M") if value else "")

    @api("GET", "/health", public=True)
    def health(self, request):
        return self._serve(request, self._health_page, roles=domain.OPS_ROLES)

    @api("POST", "/health/parked/<service>/<int:parked_id>/replay", public=True)
    def replay_parked(self, request, service, parked_id):
        def view(session, now):
            if service not in domain.WATCHED_SERVICES:
                return self._page(session, "message.html", 404, title_key="parked_not_found.title",
                                  text_key="parked_not_found.text")
            answer = self.tools.apis.call(service, "POST", f"/admin/parked/{parked_id}/replay",
                                          token=self._token(session, now))
            self.tools.sessions.update(self.db, session, notice="replayed" if answer.ok else "replay_not_found")
            return web.redirect(self.settings, session, "/health")
        return self._serve(request, view, roles=domain.OPS_ROLES)
