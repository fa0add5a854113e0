"""`make demo`: send realistic messages to a running platform (make run) and show what happened."""
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import requests

from chassis.services import load_service
from chassis.settings import load_settings
from services.identity.commands import dev_token

IDENTITY = "http://127.0.0.1:8006"
INTAKE = "http://127.0.0.1:8001"
CASES = "http://127.0.0.1:8002"
REPORTING = "http://127.0.0.1:8005"
SMS_SINK = "http://127.0.0.1:8099"
HADJA_BAH = "+224664556677"  # the reception desk's visitor of MESSAGES, as intake stores her number

MESSAGES = [
    {"country": "GN", "channel": "hotline", "language": "fr",
     "narrative": "Je suis rentré de Libye en mars. L'appui pour mon commerce à Kindia est en retard de paiement "
                  "depuis trois mois.",
     "contact": {"name": "Mamadou Diallo", "phone": "622 12 34 56"}, "consent": {"callback": True},
     "location": {"adm1": "Kindia", "adm2": "Kindia", "place": "Mambia"},
     "respondent": {"sex": "male", "age_group": "25-59", "disability": False}},
    {"country": "GN", "channel": "hotline", "language": "fr",
     "narrative": "Je rappelle : le kit de réinstallation promis à Friguiagbé n'est toujours pas arrivé.",
     "contact": {"name": "Mamadou Diallo", "phone": "+224622123456"}, "consent": {"callback": True},
     "location": {"adm1": "Kindia", "adm2": "Kindia", "place": "Friguiagbé"}},
    {"country": "GN", "channel": "reception_desk", "language": "fr",
     "narrative": "Merci pour la formation en couture à Labé, j'ai pu ouvrir mon atelier.",
     "contact": {"name": "Hadja Bah", "phone": "+224 664 55 66 77"}, "consent": {"callback": True},
     "location": {"adm1": "Labé", "adm2": "Labé"}},
    {"country": "GN", "channel": "suggestion_box", "language": "fr",
     "narrative": "Un agent demande de l'argent pour inscrire les gens sur la liste de réintégration à Mamou."},
    {"country": "GN", "channel": "hotline", "language": "ff",
     "narrative": "Le gardien du centre m'a demandé de coucher avec lui pour recevoir le kit.",
     "contact": {"phone": "621 00 11 22"}, "consent": {"callback": False, "share_with_partners": True}},
    {"country": "ML", "channel": "web_form", "language": "fr",
     "narrative": "Quand aura lieu la prochaine session de formation à Kayes ? Le paiement est en retard.",
     "contact": {"email": "awa.traore@example.org"}, "consent": {"callback": True}},
    {"country": "ML", "channel": "hotline", "language": "bm",
     "narrative": "Mon oncle a dit qu'il va me tuer si je reste au village. J'ai peur.",
     "contact": {"name": "Oumar Coulibaly", "phone": "76 12 34 56"}, "consent": {"callback": True}},
    {"country": "ML", "channel": "sms", "language": "fr",
     "narrative": "Le centre de Kati ne répond plus au téléphone depuis deux semaines, paiement en retard."},
]


def send_channel_messages(intake_settings, agent: dict) -> list[str]:
    """A few messages the way the providers send them, signed with the development secrets."""
    endpoints = intake_settings.endpoints
    references = []

    def show(label, answer, reference):
        print(f"{answer.status_code} {reference or '-':<16} GN {label:<15} {answer.text[:70]}")
        if reference:
            references.append(reference)

    url = f"{INTAKE}/v1/channels/twilio/gn_sms_twilio"
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+224622778899", "To": "+224620000001",
            "Body": "Bonjour, je n'ai pas reçu le paiement de l'appui depuis septembre à Boké.", "NumMedia": "0"}
    signed = url + "".join(key + form[key] for key in sorted(form))
    token = endpoints["gn_sms_twilio"].secret.get_secret_value().encode()
    signature = base64.b64encode(hmac.new(token, signed.encode(), hashlib.sha1).digest()).decode()
    answer = requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)
    show("sms (Twilio)", answer, None)

    message = {"from": "224655112233", "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
               "type": "text", "text": {"body": "Salam, le centre de Matam est fermé depuis lundi 😟"}}
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages",
        "value": {"metadata": {"phone_number_id": endpoints["gn_whatsapp"].address},
                  "contacts": [{"wa_id": "224655112233", "profile": {"name": "Kadiatou"}}],
                  "messages": [message]}}]}]}).encode()
    secret = endpoints["gn_whatsapp"].secret.get_secret_value().encode()
    answer = requests.post(f"{INTAKE}/v1/channels/whatsapp/gn_whatsapp", data=body, timeout=10, headers={
        "Content-Type": "application/json",
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()})
    show("whatsapp", answer, (answer.json().get("received") or [{}])[0].get("reference"))

    fields = endpoints["gn_kobo_feedback"].kobo_fields
    submission = {fields.narrative: "Les kits d'hygiène distribués à Kolaboui étaient incomplets.",
                  fields.sex: "female", fields.age_group: "34", fields.adm1: "Boké", "_uuid": str(uuid.uuid4()),
                  "_xform_id_string": endpoints["gn_kobo_feedback"].address,
                  "_submission_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())}
    answer = requests.post(f"{INTAKE}/v1/channels/kobo/gn_kobo_feedback", json=submission, timeout=10,
                           auth=(endpoints["gn_kobo_feedback"].username,
                                 endpoints["gn_kobo_feedback"].secret.get_secret_value()))
    show("kobo", answer, answer.json().get("reference"))

    slips = ("narrative,sex,age_group\n"
             "\"Merci pour les semences, la récolte a été bonne.\",F,45\n"
             f"On attend toujours les bâches promises ({uuid.uuid4().hex[:4]}).,homme,\n"
             "Le responsable choisit sa famille.,peut-être,\n").encode()
    answer = requests.post(f"{INTAKE}/v1/channels/suggestion-box/gn_box_kindia_01/batches",
                           params={"collected_on": time.strftime("%Y-%m-%d")}, data=slips, timeout=10,
                           headers={**agent, "Content-Type": "text/csv"})
    report = answer.json()
    for row in report.get("accepted", []):
        show(f"box row {row['row']}", answer, row["reference"])
    for problem in report.get("rejected", []):
        print(f"    box row {problem['row']} refused: column {problem['column']}: {problem['reason']}")

    return references


def ask_status(intake_settings, reference: str, phone: str, who: str) -> None:
    """`STATUT <reference>` by SMS: only the person who owns the case learns anything about it."""
    endpoint = intake_settings.endpoints["gn_sms_gateway"]
    status = {"message_id": f"gw-{uuid.uuid4().hex[:8]}", "from": phone, "to": "1313", "text": f"STATUT {reference}"}
    answer = requests.post(f"{INTAKE}/v1/channels/sms-gateway/gn_sms_gateway", json=status, timeout=10,
                           headers={endpoint.secret_header: endpoint.secret.get_secret_value()})
    print(f"{answer.status_code} STATUT {reference} by SMS from {who}: {answer.json().get('status')}")


def main() -> int:
    intake_settings = load_settings(load_service("intake")[1], "intake")
    identity_settings = load_settings(load_service("identity")[1], "identity")
    agent, focal, manager = ({"Authorization": "Bearer " + dev_token(identity_settings, role=role, countries=["GN", "ML"],
                                                                     subject=f"demo-{role}")}
                             for role in ("agent", "focal_point", "manager"))
    try:
        requests.get(f"{INTAKE}/health/ready", timeout=2)
    except requests.RequestException:
        print("The platform is not running: start it with `make run` in another terminal.", file=sys.stderr)
        return 1
    sms_before = len(requests.get(f"{SMS_SINK}/messages", timeout=5).json())
    references = []
    for message in MESSAGES:
        answer = requests.post(f"{INTAKE}/v1/feedback", json=message, headers=agent, timeout=10)
        references.append(answer.json().get("reference"))
        print(f"{answer.status_code} {references[-1]:<16} {message['country']} {message['channel']:<15} "
              f"{message['narrative'][:60]}...")
    print("\nthe same way the providers send them:")
    references += send_channel_messages(intake_settings, agent)
    print("\nwaiting for the cases to flow through ...")
    wait_until_searchable(focal, len(set(filter(None, references))))
    for reference in references:
        case = requests.get(f"{CASES}/v1/cases/{reference}", headers=focal, timeout=10).json()
        agent_sees = requests.get(f"{CASES}/v1/cases/{reference}", headers=agent, timeout=10).status_code == 200
        print(f"{reference}: priority {case.get('priority'):<9} restricted={case.get('restricted')!s:<5} "
              f"first deadline {case.get('deadline_kind')} by {case.get('deadline_at')}  "
              f"(an agent {'can' if agent_sees else 'cannot'} open it)")
    print()
    ask_status(intake_settings, references[0], "+224622123456", "the person who sent it")
    ask_status(intake_settings, references[0], "+224622778899", "someone else")
    time.sleep(2)
    sms = requests.get(f"{SMS_SINK}/messages", timeout=5).json()[sms_before:]
    print(f"\nSMS sent (acknowledgements, status replies, supervisor alerts): {len(sms)}")
    for item in sms:
        print(f"  to {item['to'][:7]}…: {item['body']}")
    found = requests.get(f"{REPORTING}/v1/search", params={"q": "retard paiement"}, headers=manager, timeout=30)
    print(f"\na manager searching 'retard paiement' finds {found.json()['total']} case(s):")
    for hit in found.json()["results"]:
        print(f"  {hit['reference']} {hit['country']} {hit['channel']:<15} {(hit['excerpt'] or '')[:70]}")
    referred = requests.get(f"{REPORTING}/v1/search", params={"status": "referred"}, headers=focal, timeout=30)
    print(f"\nreferred to protection partners (focal point view): "
          f"{[hit['reference'] for hit in referred.json()['results']]}")
    queue = requests.get(f"{CASES}/v1/cases", params={"limit": 5}, headers=agent, timeout=10).json()["cases"]
    print("\nan agent's queue, most urgent deadline first (restricted cases are not in it):")
    for case in queue:
        print(f"  {case['reference']} {case['status']:<13} category {case['category_code']!s:<4} "
              f"next deadline {case['next_deadline_at']}")
    demo_agent = work_cases_as_the_demo_agent(identity_settings, references[0], references[2])
    if demo_agent:
        close_the_loop(intake_settings, demo_agent, references[0])
    show_weekly_report(manager)
    return 0


def work_cases_as_the_demo_agent(identity_settings, late_payment: str, thanks: str) -> dict | None:
    """What agent.gn finds in the console after `make demo`: a case of their own in progress with a note, and
    one closed with the answer given (the others wait, unassigned, in the queue). Returns agent.gn's headers."""
    admin = {"Authorization": "Bearer " + dev_token(identity_settings, role="admin", countries=["GN", "ML"],
                                                    subject="demo-admin")}
    users = requests.get(f"{IDENTITY}/v1/users", headers=admin, timeout=10).json().get("users", [])
    user_id = next((user["user_id"] for user in users if user["username"] == "agent.gn"), None)
    if user_id is None:
        print("\n(no agent.gn account: start the platform with `make run` to have the demo accounts)")
        return None
    agent = {"Authorization": "Bearer " + dev_token(identity_settings, role="agent", countries=["GN"],
                                                    subject=user_id)}

    def act(reference: str, action: str, body: dict) -> None:
        version = requests.get(f"{CASES}/v1/cases/{reference}", headers=agent, timeout=10).json()["version"]
        answer = requests.post(f"{CASES}/v1/cases/{reference}/{action}", json={**body, "version": version},
                               headers=agent, timeout=10)
        if answer.status_code != 200:
            print(f"  {reference} {action}: {answer.status_code} {answer.text[:100]}")

    act(late_payment, "classification", {"category_code": 2, "sub_category": "cash"})
    act(late_payment, "assignment", {"assignee": user_id})
    act(late_payment, "status", {"status": "acknowledged"})
    act(late_payment, "notes", {"text": "Liste de paiement de Kindia vérifiée avec l'équipe programme."})
    act(late_payment, "status", {"status": "in_progress"})
    act(thanks, "classification", {"category_code": 3})
    act(thanks, "assignment", {"assignee": user_id})
    act(thanks, "resolve", {"resolution": "Remerciements transmis à l'équipe formation de Labé."})
    act(thanks, "close", {"response": "Merci, vos mots ont été transmis à l'équipe de Labé.", "response_channel": "call"})
    print(f"\nin the console (http://127.0.0.1:8000/), agent.gn finds {late_payment} in progress and {thanks} "
          f"closed under 'Mine'; 'Look up a caller' with 622 12 34 56 shows Mamadou Diallo's two calls.")
    return agent


def close_the_loop(intake_settings, agent: dict, late_payment: str) -> None:
    """Closing the loop: Mamadou Diallo gets a templated reply and an appointment at the Matam reception centre;
    Hadja Bah, whose thanks were answered and closed, answers the satisfaction question "1" (satisfied)."""
    sms_before = len(requests.get(f"{SMS_SINK}/messages", timeout=5).json())
    version = requests.get(f"{CASES}/v1/cases/{late_payment}", headers=agent, timeout=10).json()["version"]
    reply = requests.post(f"{CASES}/v1/cases/{late_payment}/replies", headers=agent, timeout=10, json={
        "template_id": "case_update", "channel": "sms", "language": "fr", "version": version})
    print(f"\nclosing the loop:\n  a templated reply to {late_payment}: {reply.status_code}")
    for days_ahead in range(1, 15):
        day = (date.today() + timedelta(days=days_ahead)).isoformat()
        slots = requests.get(f"{CASES}/v1/centres/gn-conakry-matam/slots", params={"date": day}, headers=agent,
                             timeout=10).json().get("slots", [])
        free = next((slot for slot in slots if slot["free"] > 0), None)
        if free:
            booked = requests.post(f"{CASES}/v1/cases/{late_payment}/appointments", headers=agent, timeout=10,
                                   json={"centre_id": "gn-conakry-matam", "starts_at": free["starts_at"]})
            print(f"  an appointment at the Matam reception centre on {free['starts_at']}: {booked.status_code}")
            break

    def question_sent() -> bool:
        return any("satisfait" in item["body"] and item["to"] == HADJA_BAH
                   for item in requests.get(f"{SMS_SINK}/messages", timeout=5).json())
    deadline = time.monotonic() + 20
    while not question_sent() and time.monotonic() < deadline:
        time.sleep(0.5)
    endpoint = intake_settings.endpoints["gn_sms_gateway"]
    answer = requests.post(f"{INTAKE}/v1/channels/sms-gateway/gn_sms_gateway", timeout=10, json={
        "message_id": f"gw-{uuid.uuid4().hex[:8]}", "from": HADJA_BAH, "to": "1313", "text": "1"},
        headers={endpoint.secret_header: endpoint.secret.get_secret_value()})
    print(f"  Hadja Bah answers the satisfaction question with an SMS \"1\": {answer.json().get('status')}")
    time.sleep(2)
    for item in requests.get(f"{SMS_SINK}/messages", timeout=5).json()[sms_before:]:
        print(f"  SMS to {item['to'][:7]}…: {item['body']}")


def wait_until_searchable(focal: dict, cases: int, seconds: float = 60) -> None:
    """Until reporting has indexed every case the demo opened (a focal point's search sees them all)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = requests.get(f"{REPORTING}/v1/search", params={"size": 1}, headers=focal, timeout=30)
        if found.status_code == 200 and found.json()["total"] >= cases:
            return
        time.sleep(0.5)
    print(f"  (reporting has not indexed all {cases} cases after {seconds:.0f} s; figures below may be short)")


def show_weekly_report(manager: dict) -> None:
    """This week's report for Guinea, as a manager reads it, and the Excel file field staff open."""
    params = {"period": "week", "date": date.today().isoformat(), "country": "GN"}
    deadline = time.monotonic() + 15
    while True:  # until reporting has indexed the loop closed just now (the appointment comes last)
        report = requests.get(f"{REPORTING}/v1/reports", params=params, headers=manager, timeout=60).json()
        if report.get("appointments") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    messages = report["messages"]
    print(f"\nthis week's report for Guinea ({report['start']} to {report['end']}): {messages['total']} messages")
    for table in ("by_channel", "by_category", "by_sex", "by_location"):
        counted = ", ".join(f"{item['key']} {'<5' if item['count'] is None else item['count']}"
                            for item in messages[table] if item["count"] != 0)
        print(f"  {table.replace('_', ' ')}: {counted}")
    print(f"  calls received {report['calls']['received']}, referrals made "
          f"{sum(partner['made'] for partner in report['referrals'])}, replies sent {report['replies_sent']}")
    satisfaction = report.get("satisfaction") or {}
    print(f"  satisfaction answers {satisfaction.get('answered', 0)}, satisfied "
          f"{'<5' if satisfaction.get('suppressed') else satisfaction.get('satisfied', 0)}; "
          f"appointments booked {sum(centre['booked'] for centre in report.get('appointments', []))}")
    workbook = requests.get(f"{REPORTING}/v1/reports", params={**params, "format": "xlsx"}, headers=manager,
                            timeout=60)
    path = Path("var") / f"report-GN-week-{report['start']}.xlsx"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(workbook.content)
    print(f"  the same report as an Excel file: {path}")


if __name__ == "__main__":
    sys.exit(main())
