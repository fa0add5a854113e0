"""Replies from a case: the agent chooses one of the country's reply templates (from notifications, with
its words filled in with this case's reference and status), SMS or WhatsApp, and sends it; the case's
page lists each reply with how far it got (templates/_reply_composer.html). The words are shown to the
agent here only: cases and notifications keep the template's id, never the words."""
from uuid import uuid4

from chassis.http import api
from services.console import domain, web

CHANNELS = ("sms", "whatsapp")


class ReplyPages:
    def _reply_page(self, session, now, reference, language=None, status=200, errors=(), values=None):
        token = self._token(session, now)
        answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=token)
        if not answer.ok:
            return self._case_not_found(session)
        case = answer.body
        params = {"country": case["country"], "reference": case["reference"], "status": case["status"]}
        if language:
            params["language"] = language
        listed = self.tools.apis.call("notifications", "GET", "/v1/reply-templates", token=token, params=params)
        if not listed.ok and language:  # a language the country has no templates in: its first one instead
            params.pop("language")
            listed = self.tools.apis.call("notifications", "GET", "/v1/reply-templates", token=token, params=params)
        book = listed.body if listed.ok else {"templates": [], "languages": [], "language": language}
        return self._page(session, "reply.html", status, case=case, book=book, failed=not listed.ok,
                          errors=dict(errors), values=values or {}, reply_id=str(uuid4()))

    @api("GET", "/cases/<reference>/reply", public=True)
    def reply_composer(self, request, reference):
        language = (request.args.get("language") or "")[:10] or None
        return self._serve(request, lambda session, now: self._reply_page(session, now, reference[:20], language),
                           roles=domain.CASE_ROLES)

    @api("POST", "/cases/<reference>/replies", public=True)
    def send_reply(self, request, reference):
        reference = reference[:20]

        def view(session, now):
            form = request.form
            values = {key: form.get(key, "") for key in ("template_id", "channel", "language")}
            errors = [(name, "choose") for name in ("template_id", "channel") if not values[name]]
            if values["channel"] and values["channel"] not in CHANNELS:
                errors.append(("channel", "choose"))
            if not domain.is_uuid(form.get("reply_id", "")) or not form.get("version", "").isdigit():
                errors.append(("reply", "invalid"))
            if errors:
                return self._reply_page(session, now, reference, values["language"] or None, 422, errors, values)
            answer = self.tools.apis.call("cases", "POST", f"/v1/cases/{reference}/replies",
                                          token=self._token(session, now),
                                          json={**values, "reply_id": form["reply_id"], "version": int(form["version"])})
            if answer.ok:
                self.tools.sessions.update(self.db, session, notice="reply_sent")
                return web.redirect(self.settings, session, f"/cases/{reference}")
            if answer.status == 404:
                return self._case_not_found(session)
            return self._reply_page(session, now, reference, values["language"] or None,
                                    409 if answer.status == 409 else 422,
                                    [("reply", answer.error_code or "invalid")], values)
        return self._serve(request, view, roles=domain.CASE_ROLES)
