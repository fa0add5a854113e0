"""Appointments at a reception centre: an agent books the person of a case a slot, the desk records whether
they came, and the person (by an SMS "ANNULER", ReplyReceived) or an agent may cancel.

Each change writes the appointment, a timeline entry on the case (without bumping the case's version: an
appointment is not a decision about the case), an audit row and its event, in one transaction. A slot's
places are counted in `appointment_slots`, whose CHECK refuses a booking past capacity even when two agents
take the last place at once. Restricted cases follow the case rules: outside a caller's scope an appointment
is 404, and the desk's list shows it to focal points only (audited). The rules are in centres.py, the SQL in
repository.py.
"""
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from prometheus_client import Counter

from chassis.errors import ApiError
from contracts.events import AppointmentAttendanceRecorded, AppointmentBooked, AppointmentCancelled, ReplyReceived
from contracts.http import (
    AppointmentList, AppointmentView, BookAppointment, Centre as CentreView, CentreList, Slot, SlotList,
)
from services.cases import repository
from services.cases.centres import (
    WEEKDAYS, Centre, attendance_refusal, booking_refusal, cancel_refusal, free_places,
)
from services.cases.handlers import NOT_FOUND, Caller, _audit_denied, visible

MAX_LISTED = 500
CANCEL_REPLIES = Counter(
    "cfm_cases_appointment_cancel_replies", "SMS answers asking to cancel an appointment, by outcome "
    "(cancelled, nothing_to_cancel)", ["outcome"])

APPOINTMENT_NOT_FOUND = ApiError(404, "appointment_not_found", "No appointment with this id is in your scope.")
REFUSALS = {
    "not_a_slot": (422, "starts_at is not one of the centre's slots: see GET /v1/centres/{id}/slots."),
    "centre_closed": (422, "The centre is closed that day (a public holiday or one of its closed days)."),
    "slot_in_the_past": (422, "This slot has started already."),
    "slot_too_far_ahead": (422, "This slot is further ahead than appointments may be booked."),
    "appointment_not_booked": (409, "This appointment was cancelled, or its attendance was recorded already."),
    "appointment_started": (409, "This appointment has started: record attendance instead."),
    "appointment_not_started": (409, "Nobody has missed a slot that has not started."),
}
_VIEW_FIELDS = ("appointment_id", "reference", "country", "centre_id", "starts_at", "ends_at", "state", "booked_at",
                "booked_by", "cancelled_by", "changed_at")


def _refused(code: str) -> ApiError:
    status, message = REFUSALS[code]
    return ApiError(status, code, message)


def _view(appointment: dict) -> AppointmentView:
    return AppointmentView(**{name: appointment[name] for name in _VIEW_FIELDS})


def _centre(settings, centre_id: str, principal) -> Centre:
    centre = settings.centres.get(centre_id)
    if centre is None or centre.country not in principal.countries:
        raise ApiError(404, "centre_not_found", "No reception centre with this id is in your countries.")
    return centre


# --- centres and their free places ----------------------------------------------------------------------

def list_centres(settings, countries: list[str]) -> CentreList:
    return CentreList(centres=[
        CentreView(id=centre.id, country=centre.country, name=centre.name, address=centre.address,
                   timezone=centre.timezone, slot_minutes=centre.slot_minutes, capacity=centre.capacity,
                   opening_hours={day: [f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in ranges]
                                  for day, ranges in sorted(centre.opening_hours.items(),
                                                            key=lambda item: WEEKDAYS.index(item[0]))})
        for centre in settings.centres.values() if centre.country in countries])


def list_slots(uow, settings, principal, centre_id: str, day: date, now: datetime) -> SlotList:
    """The day's slots not started yet, with their free places."""
    centre = _centre(settings, centre_id, principal)
    starts = [start for start in centre.slots_on(day) if start > now]
    with uow:
        booked = repository.booked_places(uow.conn, centre.id, starts)
    return SlotList(centre_id=centre.id, date=day, slots=[
        Slot(starts_at=start, ends_at=start + centre.slot_length, capacity=centre.capacity,
             free=free_places(centre.capacity, booked.get(start, 0))) for start in starts])


# --- booking ----------------------------------------------------------------------------------------------

def book(uow, settings, caller: Caller, reference: str, body: BookAppointment, now: datetime) -> AppointmentView:
    principal = caller.principal
    centre = settings.centres.get(body.centre_id)
    with uow:
        case = repository.find_case(uow.conn, reference)
        if case is None or not visible(case, principal):
            _audit_denied(uow.conn, reference, case, caller, "book_appointment")
            case = None
    if case is None:
        raise NOT_FOUND
    if centre is None or centre.country != case["country"]:
        raise ApiError(422, "unknown_centre", "No reception centre with this id in the case's country.")
    refusal = booking_refusal(centre, body.starts_at, now, settings.appointments.book_days_ahead)
    if refusal:
        raise _refused(refusal)
    starts_at = body.starts_at.astimezone(ZoneInfo(centre.timezone))
    with uow:
        case = repository.find_case(uow.conn, reference, lock=True)  # one booking of this case at a time
        if case["status"] == "closed":
            raise ApiError(409, "case_closed", "This case is closed: reopen it to book an appointment.")
        if repository.has_upcoming_appointment(uow.conn, case["case_id"], now):
            raise ApiError(409, "appointment_already_booked",
                           "This case has an appointment coming: cancel it before booking another.")
        if not repository.take_place(uow.conn, centre.id, starts_at, centre.capacity):
            raise ApiError(409, "slot_full", "This slot has no place left: choose another.")
        appointment = repository.insert_appointment(
            uow.conn, appointment_id=uuid4(), case_id=case["case_id"], country=case["country"], centre_id=centre.id,
            starts_at=starts_at, ends_at=starts_at + centre.slot_length, booked_at=now, booked_by=principal.subject)
        _record(uow, caller, appointment, "appointment_booked", now, principal.subject)
        uow.emit(AppointmentBooked(
            appointment_id=appointment["appointment_id"], case_id=case["case_id"], reference=case["reference"],
            centre_id=centre.id, centre_name=centre.name, centre_address=centre.address, starts_at=starts_at,
            booked_at=now, booked_by=principal.subject, contact_ref=case["contact_ref"],
            feedback_id=case["feedback_id"], consent_callback=case["consent_callback"],
            contact_verified=case["contact_verified"], language=case["language"],
        ), country=case["country"])
    return _view(appointment)


def _record(uow, caller: Caller | None, appointment: dict, action: str, now: datetime, actor: str, **detail):
    """The case's timeline entry and audit row of a change to one of its appointments."""
    facts = {"appointment_id": str(appointment["appointment_id"]), "centre_id": appointment["centre_id"],
             "starts_at": appointment["starts_at"].isoformat(), **detail}
    repository.add_history(uow.conn, appointment["case_id"], repository.case_version(uow.conn, appointment["case_id"]),
                           now, actor, action, facts)
    principal = caller.principal if caller else None
    repository.audit(uow.conn, actor=actor, role=principal.role if principal else "system", action=action,
                     case_id=appointment["case_id"], reference=appointment["reference"],
                     client_address=caller.address if caller else None,
                     user_agent=caller.user_agent if caller else None, detail=facts)


# --- cancelling and attendance ----------------------------------------------------------------------------

def _in_scope(uow, caller: Caller, appointment_id: UUID, action: str) -> dict | None:
    """The appointment, locked, when the caller may see its case; else None, and the attempt audited."""
    appointment = repository.find_appointment(uow.conn, appointment_id, lock=True)
    if appointment is None or not visible(appointment, caller.principal):
        _audit_denied(uow.conn, appointment["reference"] if appointment else "", appointment, caller, action)
        return None
    return appointment


def _cancel(uow, appointment: dict, settings, by: str, actor: str, caller: Caller | None, now: datetime) -> dict:
    centre = settings.centres.get(appointment["centre_id"])
    repository.change_appointment(uow.conn, appointment["appointment_id"], "cancelled", now, actor, cancelled_by=by)
    repository.free_place(uow.conn, appointment["centre_id"], appointment["starts_at"])
    appointment = {**appointment, "state": "cancelled", "cancelled_by": by, "changed_at": now}
    _record(uow, caller, appointment, "appointment_cancelled", now, actor, cancelled_by=by)
    # A centre removed from the settings since the booking is still named, by its id.
    unknown = {"fr": appointment["centre_id"]}
    uow.emit(AppointmentCancelled(
        appointment_id=appointment["appointment_id"], case_id=appointment["case_id"],
        reference=appointment["reference"], centre_id=appointment["centre_id"],
        centre_name=centre.name if centre else unknown, centre_address=centre.address if centre else unknown,
        starts_at=appointment["starts_at"], cancelled_at=now, cancelled_by=by,
        contact_ref=appointment["contact_ref"], feedback_id=appointment["feedback_id"],
        consent_callback=appointment["consent_callback"], contact_verified=appointment["contact_verified"],
        language=appointment["language"],
    ), country=appointment["country"])
    return appointment


def cancel(uow, settings, caller: Caller, appointment_id: UUID, now: datetime) -> AppointmentView:
    with uow:
        appointment = _in_scope(uow, caller, appointment_id, "cancel_appointment")
        if appointment is not None:
            refusal = cancel_refusal(appointment["state"], appointment["starts_at"], now)
            if refusal:
                raise _refused(refusal)
            appointment = _cancel(uow, appointment, settings, "agent", caller.principal.subject, caller, now)
    if appointment is None:
        raise APPOINTMENT_NOT_FOUND
    return _view(appointment)


def record_attendance(uow, settings, caller: Caller, appointment_id: UUID, attendance: str,
                      now: datetime) -> AppointmentView:
    """The desk says whether the person came, once (centres.attendance_refusal)."""
    with uow:
        appointment = _in_scope(uow, caller, appointment_id, "record_attendance")
        if appointment is not None:
            refusal = attendance_refusal(appointment["state"], attendance, appointment["starts_at"], now)
            if refusal:
                raise _refused(refusal)
            repository.change_appointment(uow.conn, appointment_id, attendance, now, caller.principal.subject)
            appointment = {**appointment, "state": attendance, "changed_at": now}
            _record(uow, caller, appointment, f"appointment_{attendance}", now, caller.principal.subject)
            uow.emit(AppointmentAttendanceRecorded(
                appointment_id=appointment_id, case_id=appointment["case_id"], reference=appointment["reference"],
                centre_id=appointment["centre_id"], starts_at=appointment["starts_at"], attendance=attendance,
                recorded_at=now, recorded_by=caller.principal.subject), country=appointment["country"])
    if appointment is None:
        raise APPOINTMENT_NOT_FOUND
    return _view(appointment)


def cancel_on_reply(uow, settings, reply: ReplyReceived, now: datetime) -> bool:
    """The person answered "ANNULER": their next appointment still to come is cancelled (none: counted only)."""
    if reply.answer != "cancel":
        return False  # a satisfaction answer: not ours
    with uow:
        if not uow.claim_message():
            return False
        appointment = repository.next_appointment_of_contact(uow.conn, reply.contact_ref, now)
        if appointment is None:
            CANCEL_REPLIES.labels("nothing_to_cancel").inc()
            return False
        _cancel(uow, appointment, settings, "person", "complainant", None, now)
    CANCEL_REPLIES.labels("cancelled").inc()
    return True


# --- lists ------------------------------------------------------------------------------------------------

def _listed(uow, caller: Caller, appointments: list[dict], action: str) -> AppointmentList:
    """Restricted cases' appointments only for who sees them, each one shown audited (as the case list)."""
    principal = caller.principal
    shown = [appointment for appointment in appointments
             if not appointment["restricted"] or principal.sees_restricted_cases]
    for appointment in shown:
        if appointment["restricted"]:
            repository.audit(uow.conn, actor=principal.subject, role=principal.role, action=action,
                             case_id=appointment["case_id"], reference=appointment["reference"],
                             client_address=caller.address, user_agent=caller.user_agent)
    return AppointmentList(appointments=[_view(appointment) for appointment in shown])


def desk_day(uow, settings, caller: Caller, centre_id: str, day: date) -> AppointmentList:
    """The centre's appointments of one day, in order, whatever their state: the desk's list."""
    centre = _centre(settings, centre_id, caller.principal)
    start = datetime.combine(day, time(0), ZoneInfo(centre.timezone))
    with uow:
        appointments = repository.appointments_between(
            uow.conn, centre.id, start, start + timedelta(days=1),
            restricted_too=caller.principal.sees_restricted_cases, limit=MAX_LISTED)
        return _listed(uow, caller, appointments, "list_appointments")


def of_case(uow, caller: Caller, reference: str) -> AppointmentList:
    """A case's appointments, newest first, for who may see the case."""
    with uow:
        case = repository.find_case(uow.conn, reference)
        if case is not None and visible(case, caller.principal):
            return _listed(uow, caller, repository.appointments_of_case(uow.conn, case["case_id"], MAX_LISTED),
                           "read_appointments")
        _audit_denied(uow.conn, reference, case, caller, "read_appointments")
    raise NOT_FOUND
