"""make vault-rotate: every contact re-encrypted under the new key while intake keeps taking
messages, resumable, so that the old key can leave the ring."""
import base64
import json
import os
from pathlib import Path

from uuid import uuid4

import pytest
import requests

from contracts.common import ContactDetails
from services.intake.vault import ContactVault, SealedContact
from services.intake.vault_rotation import rotate

OLD, NEW = os.urandom(32), os.urandom(32)
SUBMISSION = json.loads((Path(__file__).parents[2] / "contracts/examples/http.FeedbackSubmission.json").read_text())


def ring(**keys) -> dict:
    return {key_id: base64.b64encode(key).decode() for key_id, key in keys.items()}


def submit(intake, phone: str) -> None:
    body = {**SUBMISSION, "contact": {"name": "Mariama Bah", "phone": phone}}
    answer = requests.post(f"{intake.url}/v1/feedback", json=body, headers=intake.headers("agent"), timeout=10)
    assert answer.status_code == 202, answer.text


def stored(db) -> dict:
    return {row[0]: SealedContact(row[1], bytes(row[2]), bytes(row[3])) for row in
            db.execute("SELECT contact_ref, key_id, nonce, ciphertext FROM intake.contacts").fetchall()}


@pytest.mark.security
def test_every_contact_is_resealed_under_the_new_key_while_intake_runs(run_service, database_url, db):
    before = run_service("intake", vault={"keys": ring(k1=OLD), "active_key_id": "k1"})
    phones = [f"+22462212345{digit}" for digit in range(5)]
    for phone in phones:
        submit(before, phone)
    assert {sealed.key_id for sealed in stored(db).values()} == {"k1"}
    before.container.stop()

    # intake restarted with the new key active and the old one still in the ring
    during = run_service("intake", vault={"keys": ring(k1=OLD, k2=NEW), "active_key_id": "k2"})
    vault = ContactVault({"k1": OLD, "k2": NEW}, "k2")
    first = rotate(database_url, "intake", vault, batch_size=2, max_batches=1)  # stopped after one batch
    assert (first["resealed"], first["left"]) == (2, 3)
    submit(during, "+224622999999")  # the platform keeps taking messages meanwhile
    second = rotate(database_url, "intake", vault, batch_size=2)
    assert (second["resealed"], second["unreadable"], second["left"]) == (3, 0, 0)
    assert second["by_key"] == {"k2": 6}
    assert "+2246" not in str(first) + str(second)  # counts and key ids only

    # the old key can go: everything opens with the new key alone, to the same details
    new_only = ContactVault({"k2": NEW}, "k2")
    opened = {new_only.open(ref, sealed).phone for ref, sealed in stored(db).items()}
    assert opened == {*phones, "+224622999999"}
    assert rotate(database_url, "intake", new_only)["resealed"] == 0  # nothing left to do


def test_a_contact_whose_key_is_gone_is_reported_and_left_alone(database_url, db):
    ref = uuid4()
    sealed = ContactVault({"lost": os.urandom(32)}, "lost").seal(ref, ContactDetails(phone="+224622000000"))
    db.execute("INSERT INTO intake.contacts (contact_ref, key_id, nonce, ciphertext) VALUES (%s, %s, %s, %s)",
               [ref, sealed.key_id, sealed.nonce, sealed.ciphertext])
    result = rotate(database_url, "intake", ContactVault({"k2": NEW}, "k2"))
    assert (result["resealed"], result["unreadable"], result["left"]) == (0, 1, 1)
    assert stored(db)[ref] == sealed
