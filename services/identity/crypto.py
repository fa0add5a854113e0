"""Identity's secrets at rest and on the wire: one service key gives an encryption key (TOTP secrets,
private signing keys, PKCE verifiers) and a hashing key (links, refresh tokens, recovery codes and
challenges are stored only as keyed hashes, so a copy of the database opens no account)."""
import base64
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventlet import tpool


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cfm-identity:" + purpose).derive(master)


class ServiceKeys:
    def __init__(self, master_key_b64: str):
        master = base64.b64decode(master_key_b64)
        if len(master) != 32:
            raise ValueError("identity.secret_key must be 32 bytes, base64-encoded")
        self._aead = AESGCM(_derive(master, b"encrypt"))
        self._mac_key = _derive(master, b"hash")

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, sealed: bytes, context: bytes) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], context)

    def hash(self, secret: str) -> bytes:
        return hmac.new(self._mac_key, secret.encode(), hashlib.sha256).digest()


def new_secret() -> str:
    """A random URL-safe secret for a link, a refresh token or a challenge (256 bits)."""
    return secrets.token_urlsafe(32)


def new_recovery_code() -> str:
    """Ten letters and digits in two groups, easy to read aloud: 'k7qm2-x9d4p' (about 52 bits)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    code = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{code[:5]}-{code[5:]}"


def normalise_recovery_code(code: str) -> str:
    folded = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{folded[:5]}-{folded[5:]}"


def new_signing_key() -> tuple[bytes, dict]:
    """A new Ed25519 key: its private part as PKCS#8 and its public part as a JWK (without kid)."""
    private = Ed25519PrivateKey.generate()
    pkcs8 = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
           "alg": "EdDSA", "use": "sig"}
    return pkcs8, jwk


class Passwords:
    """Argon2id hashes. Hashing is deliberately slow C work, so it runs in a real thread (eventlet's
    tpool): in the service's own green thread it would stop every other request for its duration."""

    def __init__(self, hasher=None):
        self._hasher = hasher or PasswordHasher()      # argon2-cffi's defaults follow RFC 9106's advice
        # Checked instead of a missing hash, so that an unknown account costs the same as a known one.
        self._decoy = self._hasher.hash(new_secret())

    def _in_thread(self, function, *args):
        return tpool.execute(function, *args)

    def hash(self, password: str) -> str:
        return self._in_thread(self._hasher.hash, password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            matched = self._in_thread(self._hasher.verify, stored_hash or self._decoy, password)
        except (Argon2Error, InvalidHashError):
            return False
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
