"""Realistic provider payloads and their signatures, written from the providers' documented
field names, for the intake channel tests and the end-to-end test. Signatures are computed
here with hmac, independently of intake's own code."""
import base64
import hashlib
import hmac
import json
import time
import uuid

import requests

TWILIO_TOKEN = "test-twilio-auth-token-0123456789"
WHATSAPP_SECRET = "test-meta-app-secret"
WHATSAPP_VERIFY = "test-verify-token"
WHATSAPP_NUMBER_ID = "106540352242922"
RAPIDPRO_SECRET = "test-rapidpro-secret"
GATEWAY_SECRET = "test-gateway-secret"
MAILGUN_KEY = "key-test-mailgun-signing"
SENDGRID_SECRET = "test-sendgrid-secret"
KOBO_SECRET = "test-kobo-secret"
TELEPHONY_SECRET = "test-telephony-secret"
KOBO_FORM = "aK7pTnRq3xW9mGcYbL2dEf"

# Secrets of the development endpoints (services/intake/config.yml), replaced by the test keys above.
ENDPOINT_SECRETS = {
    "gn_sms_twilio": {"secret": TWILIO_TOKEN},
    "gn_whatsapp": {"secret": WHATSAPP_SECRET, "verify_token": WHATSAPP_VERIFY},
    "gn_sms_rapidpro": {"secret": RAPIDPRO_SECRET},
    "gn_sms_gateway": {"secret": GATEWAY_SECRET},
    "gn_email_mailgun": {"secret": MAILGUN_KEY},
    "gn_email_sendgrid": {"secret": SENDGRID_SECRET},
    "gn_kobo_feedback": {"secret": KOBO_SECRET},
    "gn_hotline_1313": {"secret": TELEPHONY_SECRET},
}


def env_for_endpoint_secrets() -> dict[str, str]:
    """The same secrets as environment variables, for the services run as processes."""
    return {f"CFM__ENDPOINTS__{endpoint.upper()}__{key.upper()}": value
            for endpoint, secrets in ENDPOINT_SECRETS.items() for key, value in secrets.items()}


# --- Twilio ----------------------------------------------------------------------------------------

def twilio_form(text="Bonjour, le paiement de mon appui est en retard depuis deux mois à Kindia.",
                sender="+224622123456", sid=None, **extra) -> dict:
    return {"MessageSid": sid or "SM" + uuid.uuid4().hex, "SmsSid": "", "AccountSid": "AC" + "1" * 32,
            "MessagingServiceSid": "", "From": sender, "To": "+224620000001", "Body": text, "NumMedia": "0",
            "NumSegments": "1", "FromCountry": "GN", "ToCountry": "GN", "SmsStatus": "received",
            "ApiVersion": "2010-04-01", **extra}


def twilio_signature(url: str, form: dict, token: str = TWILIO_TOKEN) -> str:
    payload = url + "".join(key + form[key] for key in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def post_twilio(base_url, form, endpoint="gn_sms_twilio", signature=None):
    url = f"{base_url}/v1/channels/twilio/{endpoint}"
    return requests.post(url, data=form, timeout=10, headers={
        "X-Twilio-Signature": signature if signature is not None else twilio_signature(url, form)})


# --- WhatsApp Cloud API ---------------------------------------------------------------------------

def whatsapp_body(*messages, statuses=(), wa_id="224622123456", name="Mariama Bah",
                  phone_number_id=WHATSAPP_NUMBER_ID) -> dict:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "224620000002", "phone_number_id": phone_number_id}}
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def wa_message(kind, content, wa_id="224622123456", message_id=None, timestamp=None) -> dict:
    return {"from": wa_id, "id": message_id or f"wamid.{uuid.uuid4().hex}",
            "timestamp": str(timestamp or int(time.time())), "type": kind, kind: content}


def post_whatsapp(base_url, body, endpoint="gn_whatsapp", secret=WHATSAPP_SECRET, raw=None):
    raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return requests.post(f"{base_url}/v1/channels/whatsapp/{endpoint}", data=raw, timeout=10, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})


# --- RapidPro / TextIt ----------------------------------------------------------------------------

def rapidpro_body(text="Je voudrais savoir quand commence la formation en couture.", phone="+224622123456",
                  message_uuid=None, language="fra") -> dict:
    return {
        "contact": {"uuid": str(uuid.uuid4()), "name": "Fanta Camara", "urn": f"tel:{phone}", "language": language},
        "flow": {"uuid": str(uuid.uuid4()), "name": "CFM intake"},
        "path": [],
        "results": {"message": {"value": text, "category": "Has Text", "node_uuid": str(uuid.uuid4()),
                                "input": text, "name": "Message", "created_on": "2026-11-25T09:12:30.123456Z"}},
        "run": {"uuid": str(uuid.uuid4()), "created_on": "2026-11-25T09:12:00.000000Z"},
        "input": {"uuid": message_uuid or str(uuid.uuid4()), "text": text, "attachments": [],
                  "created_on": "2026-11-25T09:12:29.654321Z", "urn": {"scheme": "tel", "path": phone,
                                                                       "display": phone}},
        "channel": {"uuid": str(uuid.uuid4()), "name": "Orange GN 1313", "address": "1313"},
    }


def post_rapidpro(base_url, body, secret=RAPIDPRO_SECRET):
    return requests.post(f"{base_url}/v1/channels/rapidpro/gn_sms_rapidpro", json=body, timeout=10,
                         headers={"X-CFM-Secret": secret})


# --- plain JSON gateway ---------------------------------------------------------------------------

def gateway_body(text, sender="+224 622 12 34 56", message_id=None, **extra) -> dict:
    return {"message_id": message_id or f"gw-{uuid.uuid4().hex[:12]}", "from": sender, "to": "1313",
            "text": text, **extra}


def post_gateway(base_url, body, endpoint="gn_sms_gateway", secret=GATEWAY_SECRET):
    return requests.post(f"{base_url}/v1/channels/sms-gateway/{endpoint}", json=body, timeout=10,
                         headers={"X-CFM-Secret": secret})


# --- email ----------------------------------------------------------------------------------------

def mailgun_form(text="Bonjour,\nJe n'ai pas reçu le kit promis à Boké.\nCordialement", timestamp=None,
                 key=MAILGUN_KEY, message_id=None) -> dict:
    timestamp = str(timestamp or int(time.time()))
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    return {"recipient": "plaintes@gn.cfm.example.org", "sender": "aissatou.barry@example.org",
            "from": "Aïssatou Barry <aissatou.barry@example.org>", "subject": "Kit non reçu",
            "body-plain": text + "\n\n> Le 20 nov., CFM a écrit :\n> Merci", "stripped-text": text,
            "stripped-signature": "Cordialement", "Message-Id": message_id or f"<{uuid.uuid4().hex}@mail.example.org>",
            "timestamp": timestamp, "token": token,
            "signature": hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()}


def post_mailgun(base_url, form, files=None):
    return requests.post(f"{base_url}/v1/channels/mailgun/gn_email_mailgun", data=form, files=files, timeout=10)


def sendgrid_form(text="Hello, I returned from Libya in March and I still have no news about my business support.",
                  message_id=None) -> dict:
    message_id = message_id or f"<{uuid.uuid4().hex}@mail.example.org>"
    return {"headers": f"Received: by mx.sendgrid.net\nMessage-ID: {message_id}\nSubject: Business support\n",
            "from": "Ousmane Sow <ousmane.sow@example.org>", "to": "feedback@gn.cfm.example.org",
            "subject": "Business support", "text": text, "html": f"<p>{text}</p>",
            "envelope": json.dumps({"to": ["feedback@gn.cfm.example.org"], "from": "ousmane.sow@example.org"}),
            "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}),
            "SPF": "pass", "attachments": "0"}


def post_sendgrid(base_url, form, files=None, secret=SENDGRID_SECRET):
    # SendGrid's inbound parse posts multipart/form-data; basic auth is set in the destination URL.
    files = files or {"_": ("", b"")}  # forces multipart even without attachments
    return requests.post(f"{base_url}/v1/channels/sendgrid/gn_email_sendgrid", data=form, files=files,
                         auth=("sendgrid", secret), timeout=10)


# --- KoboToolbox ----------------------------------------------------------------------------------

def kobo_submission(narrative="Le centre de santé de Kolaboui refuse de soigner les personnes rapatriées.",
                    instance=None, **answers) -> dict:
    instance = instance or str(uuid.uuid4())
    body = {
        "_id": 48213877, "formhub/uuid": uuid.uuid4().hex, "start": "2026-11-25T09:10:02.113+00:00",
        "end": "2026-11-25T09:14:40.551+00:00", "group_message/narrative": narrative,
        "group_message/language": "fr", "group_message/channel": "hotline",
        "group_location/region": "Boké", "group_location/prefecture": "Boké",
        "group_location/sous_prefecture": "Kolaboui", "group_location/village": "Kolaboui centre",
        "group_respondent/sex": "female", "group_respondent/age_group": "25_59",
        "group_respondent/disability": "no", "group_consent/callback": "yes", "group_consent/share": "no",
        "group_contact/name": "Kadiatou Soumah", "group_contact/phone": "664 11 22 33",
        "__version__": "vHnx3YFDBLa7zZ8kFqr2Yd", "meta/instanceID": f"uuid:{instance}", "_xform_id_string": KOBO_FORM,
        "_uuid": instance, "_attachments": [], "_status": "submitted_via_web", "_geolocation": [10.05, -14.12],
        "_submission_time": "2026-11-25T09:14:41", "_tags": [], "_notes": [], "_validation_status": {},
        "_submitted_by": "enumerator_boke"}
    body.update(answers)
    return body


def post_kobo(base_url, body, secret=KOBO_SECRET):
    return requests.post(f"{base_url}/v1/channels/kobo/gn_kobo_feedback", json=body, auth=("kobo", secret),
                         timeout=10)


# --- telephony ------------------------------------------------------------------------------------

def call_records(*calls) -> dict:
    return {"calls": [{"call_id": call_id, "started_at": "2026-11-25T08:01:10+00:00", "outcome": outcome,
                       "wait_seconds": wait, "duration_seconds": duration, "agent_id": agent,
                       "caller": "+224622998877"} for call_id, outcome, wait, duration, agent in calls]}


def post_calls(base_url, body, secret=TELEPHONY_SECRET):
    return requests.post(f"{base_url}/v1/channels/telephony/gn_hotline_1313/calls", json=body, timeout=10,
                         headers={"X-CFM-Secret": secret})


BOX_CSV = (
    "narrative;language;sex;age_group;disability;adm1;adm2;place;phone;consent_callback\n"
    "Merci pour les semences, la récolte a été bonne.;fr;F;31;non;Kindia;Kindia;Damakania;;\n"
    "Les distributions commencent toujours en retard, on attend au soleil.;fr;homme;;;Kindia;Kindia;;622 45 67 89;oui\n"
    "Le chef de quartier choisit sa famille pour la liste.;fr;peut-être;;;Kindia;;;;\n"
    "Pas de toilettes pour les femmes au centre.;fr;;;;Kindia;;;12;\n"
    ";;;;;;;;;\n"
).encode("utf-8-sig")


def long_complaint(characters: int, ascii_only: bool = False) -> str:
    """A complaint of exactly `characters` characters, as a long email or a forwarded thread is:
    the same account told again with each reply quoted below it."""
    paragraph = ("Bonjour, je vous écris encore au sujet de l'appui à la réinsertion promis à notre retour de Libye. "
                 "Le paiement n'est toujours pas arrivé et l'agent du centre ne répond plus au téléphone.\n> ")
    if ascii_only:  # a form-encoded body escapes every accented letter three times over
        paragraph = paragraph.replace("é", "e").replace("à", "a").replace("'", " ")
    return (paragraph * (characters // len(paragraph) + 1))[:characters]
