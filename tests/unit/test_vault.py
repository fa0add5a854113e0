import os
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from contracts.common import ContactDetails
from services.intake.vault import ContactVault, SealedContact

CONTACT = ContactDetails(name="Aïssatou Barry", phone="+224622123456", email="aissatou@example.org")


def test_a_sealed_contact_opens_to_the_same_details():
    vault = ContactVault({"k1": os.urandom(32)}, "k1")
    ref = uuid4()
    assert vault.open(ref, vault.seal(ref, CONTACT)) == CONTACT


def test_the_stored_form_reveals_no_personal_data():
    vault = ContactVault({"k1": os.urandom(32)}, "k1")
    sealed = vault.seal(uuid4(), CONTACT)
    for secret in (b"Barry", b"622123456", b"aissatou"):
        assert secret not in sealed.ciphertext


def test_a_tampered_ciphertext_does_not_open():
    vault = ContactVault({"k1": os.urandom(32)}, "k1")
    ref = uuid4()
    sealed = vault.seal(ref, CONTACT)
    tampered = SealedContact(sealed.key_id, sealed.nonce, bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:])
    with pytest.raises(InvalidTag):
        vault.open(ref, tampered)


def test_a_ciphertext_moved_to_another_contact_does_not_open():
    vault = ContactVault({"k1": os.urandom(32)}, "k1")
    sealed = vault.seal(uuid4(), CONTACT)
    with pytest.raises(InvalidTag):
        vault.open(uuid4(), sealed)


def test_keys_rotate_old_contacts_stay_readable():
    old_key, new_key = os.urandom(32), os.urandom(32)
    ref = uuid4()
    sealed_before = ContactVault({"k1": old_key}, "k1").seal(ref, CONTACT)
    rotated = ContactVault({"k1": old_key, "k2": new_key}, "k2")
    assert rotated.open(ref, sealed_before) == CONTACT
    assert rotated.seal(ref, CONTACT).key_id == "k2"


def test_a_retired_key_is_reported_not_guessed():
    ref = uuid4()
    sealed = ContactVault({"k1": os.urandom(32)}, "k1").seal(ref, CONTACT)
    with pytest.raises(LookupError):
        ContactVault({"k2": os.urandom(32)}, "k2").open(ref, sealed)


def test_keys_must_be_aes_256():
    with pytest.raises(ValueError):
        ContactVault({"k1": b"short"}, "k1")
