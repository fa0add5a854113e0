"""Envelope encryption of what people wrote: one data key per case, wrapped by a master key.

Each case's texts (a narrative, notes, a resolution, the answer given) are sealed with AES-256-GCM
under a data key of that case alone. The data key is stored wrapped (encrypted) by the active
master key, with that key's id, in the `data_keys` table of the service's own schema: every
service keeps its own data keys, and no other service can read them.

- Rotation re-wraps data keys under a new master key (`make rewrap-keys`); the texts, sealed under
  the data keys, are not touched.
- Erasure destroys a case's data key (crypto-shredding): every copy of its texts anywhere in the
  service's tables, backups included, becomes unreadable at once; the services also blank them.

A sealed text is stored as `enc:v1:` + base64(nonce || ciphertext), in the column that held the
text, bound (associated data) to the case it belongs to: copied onto another case, it does not
decrypt. A value without the prefix is a text written before encryption, returned as it is.
"""
import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr, model_validator

from chassis.settings import Section

PREFIX = "enc:v1:"
ERASED = ""  # what an erased text becomes where the column needs a value


class DataKeySettings(Section):
    """The ring of master keys that wrap a service's data keys (`data_keys:` in its config.yml).
    Production sets CFM__DATA_KEYS__KEYS='{"m2": "<base64 of 32 random bytes>"}' and
    CFM__DATA_KEYS__ACTIVE_KEY_ID=m2, a ring of each service's own."""

    active_key_id: str
    keys: dict[str, SecretStr]

    @model_validator(mode="after")
    def _active_key_in_the_ring(self):
        if self.active_key_id not in self.keys:
            raise ValueError("active_key_id names no key of the ring (data_keys.keys)")
        return self


class KeyDestroyed(LookupError):
    """The case's data key was destroyed by an erasure: its texts are gone."""


@dataclass(frozen=True)
class DataKey:
    subject: str
    cipher: AESGCM


class TextEnvelope:
    """Seals and opens a service's texts with per-case data keys kept in its `data_keys` table."""

    def __init__(self, master_keys: dict[str, bytes], active_key_id: str):
        if active_key_id not in master_keys:
            raise ValueError(f"the active master key {active_key_id!r} is not configured")
        for key_id, key in master_keys.items():
            if len(key) != 32:
                raise ValueError(f"master key {key_id!r} must be 32 bytes (AES-256)")
        self._masters = {key_id: AESGCM(key) for key_id, key in master_keys.items()}
        self.active_key_id = active_key_id

    @classmethod
    def from_settings(cls, settings: DataKeySettings) -> "TextEnvelope":
        return cls({key_id: base64.b64decode(secret.get_secret_value()) for key_id, secret in settings.keys.items()},
                   settings.active_key_id)

    # --- data keys ------------------------------------------------------------------------------------

    def data_key(self, conn, subject: str) -> DataKey:
        """The subject's data key, made (and stored wrapped) the first time it is asked for.
        Raises KeyDestroyed once the subject was erased: nothing new is sealed for it either."""
        row = conn.execute("SELECT master_key_id, nonce, wrapped_key FROM data_keys WHERE subject = %s",
                           [subject]).fetchone()
        if row is None:
            key = AESGCM.generate_key(bit_length=256)
            nonce = os.urandom(12)
            wrapped = self._masters[self.active_key_id].encrypt(nonce, key, subject.encode())
            # Two writers of one new case: the first insert wins, the second reads it back.
            conn.execute("""INSERT INTO data_keys (subject, master_key_id, nonce, wrapped_key)
                            VALUES (%s, %s, %s, %s) ON CONFLICT (subject) DO NOTHING""",
                         [subject, self.active_key_id, nonce, wrapped])
            row = conn.execute("SELECT master_key_id, nonce, wrapped_key FROM data_keys WHERE subject = %s",
                               [subject]).fetchone()
        master_key_id, nonce, wrapped = row
        if wrapped is None:
            raise KeyDestroyed(subject)
        return DataKey(subject, AESGCM(self._unwrap(subject, master_key_id, bytes(nonce), bytes(wrapped))))

    def _unwrap(self, subject: str, master_key_id: str, nonce: bytes, wrapped: bytes) -> bytes:
        try:
            master = self._masters[master_key_id]
        except KeyError:
            raise LookupError(f"master key {master_key_id!r} is no longer configured") from None
        return master.decrypt(nonce, wrapped, subject.encode())

    @staticmethod
    def destroy(conn, subject: str) -> bool:
        """Crypto-shred the subject: its wrapped key is overwritten and the row marks the erasure, so
        that a late message cannot make a new key for it. True when a key was destroyed now."""
        return conn.execute(
            """INSERT INTO data_keys (subject, master_key_id, nonce, wrapped_key, destroyed_at)
               VALUES (%s, NULL, NULL, NULL, now())
               ON CONFLICT (subject) DO UPDATE SET master_key_id = NULL, nonce = NULL, wrapped_key = NULL,
                   destroyed_at = now()
               WHERE data_keys.destroyed_at IS NULL
               RETURNING subject""", [subject]).fetchone() is not None

    def rewrap(self, conn, batch_size: int = 200) -> dict[str, int]:
        """Re-wrap every data key still under another master key under the active one, in committed
        batches that skip keys being written (resumable). The sealed texts are not touched."""
        rewrapped = unreadable = 0
        after = ""
        while True:
            with conn.transaction():
                rows = conn.execute(
                    """SELECT subject, master_key_id, nonce, wrapped_key FROM data_keys
                       WHERE wrapped_key IS NOT NULL AND master_key_id <> %s AND subject > %s
                       ORDER BY subject LIMIT %s FOR UPDATE SKIP LOCKED""",
                    [self.active_key_id, after, batch_size]).fetchall()
                for subject, master_key_id, nonce, wrapped in rows:
                    try:
                        key = self._unwrap(subject, master_key_id, bytes(nonce), bytes(wrapped))
                    except Exception:  # noqa: BLE001 - its master key is gone, or the row is damaged
                        unreadable += 1
                        continue
                    new_nonce = os.urandom(12)
                    conn.execute("UPDATE data_keys SET master_key_id = %s, nonce = %s, wrapped_key = %s "
                                 "WHERE subject = %s",
                                 [self.active_key_id, new_nonce,
                                  self._masters[self.active_key_id].encrypt(new_nonce, key, subject.encode()),
                                  subject])
                    rewrapped += 1
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        counts = dict(conn.execute("SELECT coalesce(master_key_id, 'destroyed'), count(*) FROM data_keys "
                                   "GROUP BY 1 ORDER BY 1").fetchall())
        return {"rewrapped": rewrapped, "unreadable": unreadable, "by_key": counts}

    # --- texts -----------------------------------------------------------------------------------------

    @staticmethod
    def seal(key: DataKey, text: str | None) -> str | None:
        if text is None:
            return None
        nonce = os.urandom(12)
        sealed = key.cipher.encrypt(nonce, text.encode(), key.subject.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    @staticmethod
    def open(key: DataKey | None, value: str | None) -> str | None:
        """The text of a sealed value; a value written before encryption as it is. Without a key
        (the case was erased) a sealed value opens to nothing."""
        if value is None or not value.startswith(PREFIX):
            return value
        if key is None:
            return ERASED
        raw = base64.b64decode(value[len(PREFIX):])
        return key.cipher.decrypt(raw[:12], raw[12:], key.subject.encode()).decode()

    @staticmethod
    def is_sealed(value: str | None) -> bool:
        return bool(value) and value.startswith(PREFIX)

    def existing_key(self, conn, subject: str) -> DataKey | None:
        """The subject's data key for reading, or None: none was ever made (nothing of it is sealed),
        or it was destroyed (its sealed texts then read as erased). Makes no key."""
        row = conn.execute("SELECT master_key_id, nonce, wrapped_key FROM data_keys WHERE subject = %s",
                           [subject]).fetchone()
        if row is None or row[2] is None:
            return None
        return DataKey(subject, AESGCM(self._unwrap(subject, row[0], bytes(row[1]), bytes(row[2]))))


def services_keeping_texts(names: list[str] | None = None):
    """(name, settings, envelope) of each service named (default: every one) that keeps data keys, for the
    commands that walk every service's keys. A service whose settings do not load raises SettingsError."""
    from chassis.services import SERVICES, load_service
    from chassis.settings import load_settings

    for name in names or SERVICES:
        _, settings_cls = load_service(name)
        if "data_keys" in settings_cls.model_fields:
            settings = load_settings(settings_cls, name)
            yield name, settings, TextEnvelope.from_settings(settings.data_keys)


def main(argv: list[str] | None = None) -> int:
    """`make rewrap-keys`: re-wrap every service's data keys under its active master key."""
    import argparse
    import sys

    import psycopg

    from chassis.settings import SettingsError

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("services", nargs="*", help="only these services (default: every one with data keys)")
    args = parser.parse_args(argv)
    status = 0
    try:
        for name, settings, envelope in services_keeping_texts(args.services):
            with psycopg.connect(settings.database.url, options=f"-c search_path={settings.schema}") as conn:
                result = envelope.rewrap(conn)
            by_key = ", ".join(f"{key_id}: {count}" for key_id, count in result["by_key"].items()) or "none yet"
            print(f"{name}: {result['rewrapped']} data key(s) re-wrapped under {envelope.active_key_id}; "
                  f"data keys by master key: {by_key}")
            if result["unreadable"]:
                print(f"{name}: {result['unreadable']} data key(s) could not be unwrapped (master key not in the "
                      "ring, or a damaged row); they stay as they are", file=sys.stderr)
                status = 1
            else:
                old = [key_id for key_id in result["by_key"] if key_id not in (envelope.active_key_id, "destroyed")]
                if not old:
                    retired = [key_id for key_id in settings.data_keys.keys if key_id != envelope.active_key_id]
                    if retired:
                        print(f"{name}: no data key is left under {', '.join(retired)}: it can leave the ring")
    except SettingsError as exc:
        print(f"rewrap-keys: {exc}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    raise SystemExit(main())
