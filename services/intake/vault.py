"""The contact vault: names, phone numbers and emails encrypted at rest.

AES-256-GCM (authenticated): a tampered or misplaced ciphertext fails to
decrypt. The contact reference is bound in as associated data, so a
ciphertext copied onto another row does not decrypt either. Each row keeps
the id of its key, so keys can rotate: new contacts use the active key, old
ones stay readable while their key is configured.

Random nonces make two encryptions of one phone number differ, so the vault
also keeps a blind index: an HMAC of the phone (or email) under a key of its
own, by which intake recognises a person who writes again and gives them the
same contact_ref. Without the key the index reveals nothing.
"""
import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contracts.common import ContactDetails


@dataclass(frozen=True)
class SealedContact:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class ContactVault:
    def __init__(self, keys: dict[str, bytes], active_key_id: str, index_key: bytes | None = None):
        if active_key_id not in keys:
            raise ValueError(f"the active vault key {active_key_id!r} is not configured")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"vault key {key_id!r} must be 32 bytes (AES-256)")
        self._keys = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._index_key = index_key

    @classmethod
    def from_settings(cls, vault_settings) -> "ContactVault":
        keys = {key_id: base64.b64decode(secret.get_secret_value()) for key_id, secret in vault_settings.keys.items()}
        return cls(keys, vault_settings.active_key_id,
                   base64.b64decode(vault_settings.index_key.get_secret_value()))

    def blind_index(self, identity: str) -> bytes:
        """A keyed fingerprint of `phone:+224...` or `email:...`, equal for equal identities."""
        if not self._index_key:
            raise RuntimeError("the vault has no index key configured")
        return hmac.new(self._index_key, identity.encode(), hashlib.sha256).digest()

    def reference_key(self) -> bytes:
        """The key that orders case reference numbers (domain.reference_number), derived from the
        index key: kept as long as the vault's data, like it, so numbers already given never recur."""
        return hmac.new(self.blind_index_key(), b"case-reference-numbers", hashlib.sha256).digest()

    def blind_index_key(self) -> bytes:
        if not self._index_key:
            raise RuntimeError("the vault has no index key configured")
        return self._index_key

    def seal(self, contact_ref: UUID, contact: ContactDetails) -> SealedContact:
        nonce = os.urandom(12)
        plaintext = contact.model_dump_json(exclude_none=True).encode()
        ciphertext = self._keys[self._active].encrypt(nonce, plaintext, contact_ref.bytes)
        return SealedContact(self._active, nonce, ciphertext)

    @property
    def active_key_id(self) -> str:
        return self._active

    def reseal(self, contact_ref: UUID, sealed: SealedContact) -> SealedContact:
        """The same contact sealed under the active key (with a new nonce), for key rotation."""
        return self.seal(contact_ref, self.open(contact_ref, sealed))

    def open(self, contact_ref: UUID, sealed: SealedContact) -> ContactDetails:
        try:
            cipher = self._keys[sealed.key_id]
        except KeyError:
            raise LookupError(f"vault key {sealed.key_id!r} is no longer configured") from None
        plaintext = cipher.decrypt(sealed.nonce, sealed.ciphertext, contact_ref.bytes)
        return ContactDetails.model_validate_json(plaintext)
