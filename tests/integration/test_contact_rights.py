"""The complainant's rights against real services: the export of everything held about one contact,
and consent withdrawn by SMS."""

import pytest
import requests

from tests.conftest import wait_for
from tools.audit_verify import verify_table

SUBMIT = {"country": "GN", "channel": "hotline", "language": "fr",
          "narrative": "Le paiement de l'appui est en retard à Kindia depuis deux mois",
          "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"},
          "consent": {"callback": True, "share_with_partners": False}}


def test_a_focal_point_exports_everything_held_about_one_contact_and_the_export_is_logged(run_service, db):
    cases = run_service("cases")
    intake = run_service("intake", export={"cases_url": cases.url})
    first = requests.post(f"{intake.url}/v1/feedback", json=SUBMIT, headers=intake.headers()).json()["reference"]
    requests.post(f"{intake.url}/v1/feedback", json=SUBMIT | {"contact": {"phone": "+224 620 00 00 01"}},
                  headers=intake.headers())  # someone else
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2)
    export_url = f"{intake.url}/v1/contacts/export"

    answer = requests.post(export_url, json={"country": "GN", "phone": "+224622987654"},
                           headers=intake.headers("focal_point"))

    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["contact"] == {"name": "Fanta Keita", "phone": "+224622987654", "email": None}
    assert [(m["reference"], m["narrative"]) for m in export["messages"]] == [(first, SUBMIT["narrative"])]
    assert export["cases"] == [{"reference": first, "found": True, "status": "new", "category_code":
                                export["cases"][0]["category_code"], "restricted": False,
                                "received_at": export["cases"][0]["received_at"]}]
    logged = db.execute("SELECT requested_by, role, country, messages, cases FROM intake.contact_exports").fetchall()
    assert logged == [("test-user", "focal_point", "GN", 1, 1)]

    # only focal points, only in their countries; a number nobody used finds nothing, and that is logged too
    assert requests.post(export_url, json={"country": "GN", "phone": "+224622987654"},
                         headers=intake.headers("agent")).status_code == 403
    assert requests.post(export_url, json={"country": "GN", "phone": "+224622987654"},
                         headers=intake.headers("focal_point", ("ML",))).status_code == 403
    unknown = requests.post(export_url, json={"country": "GN", "phone": "+224 655 55 55 55"},
                            headers=intake.headers("focal_point"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "contact_not_found"
    assert requests.post(export_url, json={"country": "GN"}, headers=intake.headers("focal_point")).status_code == 422
    assert db.execute("SELECT count(*) FROM intake.contact_exports WHERE contact_ref IS NULL").fetchone()[0] == 1
    assert verify_table(db, "intake", "contact_exports").broken_at is None


ABUSE = "Le gardien m'a demandé de coucher avec lui pour avoir le kit"



def test_an_sms_stop_ends_callbacks_and_sharing_with_partners_in_every_service(run_service, db, sms_sink):
    intake = run_service("intake")
    run_service("cases")
    run_service("referrals")
    run_service("notifications", sms={"base_url": f"http://127.0.0.1:{sms_sink.server_address[1]}",
                                      "account_sid": "ACtest", "auth_token": "sink-token"})
    # A call: a sensitive complaint, the caller agrees to be called back and to a partner having their number.
    call = SUBMIT | {"narrative": ABUSE, "consent": {"callback": True, "share_with_partners": True}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=call, headers=intake.headers()).json()["reference"]
    wait_for(lambda: db.execute("SELECT share_contact FROM referrals.referrals").fetchone() == (True,))
    wait_for(lambda: len(sms_sink.messages) == 1)  # the acknowledgement

    stop = requests.post(f"{intake.url}/v1/channels/sms-gateway/gn_sms_gateway",
                         json={"message_id": "gw-stop-1", "from": "+224622987654", "to": "1313", "text": " Arrêt ! "},
                         headers={"X-CFM-Secret": "dev-gateway-secret"})

    assert stop.status_code == 200 and stop.json()["status"] == "consent_withdrawn", stop.text
    assert db.execute("SELECT count(*) FROM intake.feedback").fetchone()[0] == 1  # not a complaint
    wait_for(lambda: db.execute("SELECT share_contact FROM referrals.referrals").fetchone() == (False,))
    assert db.execute("""SELECT h.action FROM cases.case_history h JOIN cases.cases c USING (case_id)
                         WHERE c.reference = %s ORDER BY h.id DESC LIMIT 1""", [reference]).fetchone() == (
        "consent_withdrawn",)
    assert db.execute("SELECT consent_callback, consent_share FROM cases.cases").fetchone() == (False, False)
    # Guinea confirms a withdrawal: one SMS says no more will come, and it is the last.
    wait_for(lambda: len(sms_sink.messages) == 2)
    assert "plus de messages" in sms_sink.messages[1]["body"]
    # The same person calls again and the agent ticks callback: still no SMS goes to them.
    requests.post(f"{intake.url}/v1/feedback", json=SUBMIT, headers=intake.headers())
    wait_for(lambda: db.execute("SELECT withheld FROM notifications.notifications WHERE withheld IS NOT NULL")
             .fetchone() == ("consent_withdrawn",))
    assert len(sms_sink.messages) == 2
