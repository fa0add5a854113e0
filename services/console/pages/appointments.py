"""Appointments at a reception centre: booking one from a case's page (a day, then a free slot of one of the
country's centres) and the desk's list of a centre's day, where each person is marked attended or missed.
cases keeps the appointments, holds each slot's places and decides what each person may see."""
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

REFERENCE = re.compile(r"^[A-Z]{2}-\d{4}-\d{6}$")
ATTENDANCE = ("attended", "missed")


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


class AppointmentPages:
    def _today(self, country: str, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone_of(country))).date()

    def _local_hour(self, value: str, country: str) -> str:
        return parse_time(value).astimezone(ZoneInfo(self.timezone_of(country))).strftime("%H:%M")

    # --- booking from a case ------------------------------------------------------------------------------

    def _booking_page(self, session, now, reference: str, day: date | None, status=200, error=None):
        token = self._token(session, now)
        case = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=token)
        if not case.ok:
            return self._case_not_found(session)
        country = case.body["country"]
        day = day or self._today(country, now) + timedelta(days=1)
        answer = self.tools.apis.call("cases", "GET", "/v1/centres", token=token, params={"country": country})
        centres = []
        for centre in answer.body.get("centres", []) if answer.ok else []:
            slots = self.tools.apis.call("cases", "GET", f"/v1/centres/{centre['id']}/slots", token=token,
                                         params={"date": day.isoformat()})
            centres.append({**centre, "slots": slots.body.get("slots", []) if slots.ok else []})
        return self._page(session, "appointment_booking.html", status, case=case.body, day=day, centres=centres,
                          failed=not answer.ok, error=error,
                          hour=lambda value: self._local_hour(value, country))

    @api("GET", "/appointments/book/<reference>", public=True)
    def appointment_booking(self, request, reference):
        reference = reference[:20]
        return self._serve(request, lambda session, now: self._booking_page(
            session, now, reference, _day(request.args.get("date"), None)), roles=domain.CASE_ROLES)

    @api("POST", "/appointments/book/<reference>", public=True)
    def book_appointment(self, request, reference):
        reference = reference[:20]

        def view(session, now):
            day = _day(request.form.get("date"), None)
            centre_id, _, starts_at = (request.form.get("slot") or "").partition("|")
            if not centre_id or not starts_at:
                return self._booking_page(session, now, reference, day, 422, error="choose_slot")
            answer = self.tools.apis.call("cases", "POST", f"/v1/cases/{reference}/appointments",
                                          token=self._token(session, now),
                                          json={"centre_id": centre_id[:100], "starts_at": starts_at[:40]})
            if not answer.ok:
                if answer.status == 404 and answer.error_code == "case_not_found":
                    return self._case_not_found(session)
                return self._booking_page(session, now, reference, day, 409 if answer.status == 409 else 422,
                                          error=answer.error_code or "invalid")
            self.tools.sessions.update(self.db, session, notice="appointment_booked")
            return web.redirect(self.settings, session, f"/cases/{reference}")
        return self._serve(request, view, roles=domain.CASE_ROLES)

    @api("POST", "/appointments/<appointment_id>/cancel", public=True)
    def cancel_appointment(self, request, appointment_id):
        appointment_id = appointment_id[:36]
        reference = request.form.get("reference", "")

        def view(session, now):
            if not domain.is_uuid(appointment_id) or not REFERENCE.match(reference):
                return self._case_not_found(session)
            answer = self.tools.apis.call("cases", "POST", f"/v1/appointments/{appointment_id}/cancel",
                                          token=self._token(session, now))
            self.tools.sessions.update(self.db, session, notice="appointment_cancelled" if answer.ok
                                       else "appointment_not_changed")
            return web.redirect(self.settings, session, f"/cases/{reference}")
        return self._serve(request, view, roles=domain.CASE_ROLES)

    # --- the desk: a centre's day -------------------------------------------------------------------------

    def _desk_page(self, session, now, centre_id: str | None, day: date | None, status=200):
        token = self._token(session, now)
        answer = self.tools.apis.call("cases", "GET", "/v1/centres", token=token)
        centres = answer.body.get("centres", []) if answer.ok else []
        centre = next((c for c in centres if c["id"] == centre_id), centres[0] if centres else None)
        rows, failed = [], not answer.ok
        if centre is not None:
            day = day or self._today(centre["country"], now)
            listed = self.tools.apis.call("cases", "GET", "/v1/appointments", token=token,
                                          params={"centre": centre["id"], "date": day.isoformat()})
            rows, failed = listed.body.get("appointments", []) if listed.ok else [], failed or not listed.ok
        return self._page(session, "appointments_desk.html", status, centres=centres, centre=centre, day=day,
                          rows=rows, failed=failed, attendance=ATTENDANCE,
                          hour=lambda value: self._local_hour(value, centre["country"]))

    @api("GET", "/appointments", public=True)
    def appointments_desk(self, request):
        return self._serve(request, lambda session, now: self._desk_page(
            session, now, request.args.get("centre"), _day(request.args.get("date"), None)), roles=domain.CASE_ROLES)

    @api("POST", "/appointments/<appointment_id>/attendance", public=True)
    def record_appointment_attendance(self, request, appointment_id):
        appointment_id = appointment_id[:36]

        def view(session, now):
            centre_id, day = request.form.get("centre", "")[:100], _day(request.form.get("date"), None)
            attendance = request.form.get("attendance")
            if not domain.is_uuid(appointment_id) or attendance not in ATTENDANCE:
                return self._desk_page(session, now, centre_id, day, 422)
            answer = self.tools.apis.call("cases", "POST", f"/v1/appointments/{appointment_id}/attendance",
                                          token=self._token(session, now), json={"attendance": attendance})
            self.tools.sessions.update(self.db, session, notice=f"appointment_{attendance}" if answer.ok
                                       else "appointment_not_changed")
            query = f"?centre={centre_id}&date={day.isoformat()}" if day and re.match(r"^[a-z0-9-]+$", centre_id) \
                else ""
            return web.redirect(self.settings, session, f"/appointments{query}")
        return self._serve(request, view, roles=domain.CASE_ROLES)
