"""`make vault-rotate`: re-encrypt every contact under the vault's active key, so that an old
key can be retired.

First give intake the new key ring and make the new key active (`CFM__VAULT__KEYS` with the old
and the new key, `CFM__VAULT__ACTIVE_KEY_ID` the new one) and restart it: new contacts are then
sealed under the new key. Then run this, with the same settings, while the platform runs. It
takes contacts still under another key in small batches, locked with SKIP LOCKED (a contact
intake is writing is left for the next pass), opens each with its own key, seals it under the
active one and commits the batch. Stopped at any point, it loses at most one batch and starts
again where the work is left. It prints only key ids and counts, never a contact. When no
contact is left under a key, that key can be removed from the ring.
"""
import argparse
import logging
import sys
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidTag

from services.intake import repository
from services.intake.vault import ContactVault, SealedContact

log = logging.getLogger(__name__)


def rotate(url: str, schema: str, vault: ContactVault, batch_size: int = 200, max_batches: int | None = None,
           ) -> dict[str, int]:
    """Reseal contacts under the active key; returns {"resealed": n, "unreadable": n, "left": n}."""
    resealed = unreadable = batches = 0
    after: UUID | None = None
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        while max_batches is None or batches < max_batches:
            with conn.transaction():
                rows = repository.lock_contacts_to_reseal(conn, vault.active_key_id, after, batch_size)
                for contact_ref, key_id, nonce, ciphertext in rows:
                    try:
                        sealed = vault.reseal(contact_ref, SealedContact(key_id, bytes(nonce), bytes(ciphertext)))
                    except (LookupError, InvalidTag):  # its key is not in the ring, or the row is damaged
                        unreadable += 1
                        continue
                    repository.reseal_contact(conn, contact_ref, key_id, sealed)
                    resealed += 1
            batches += 1
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        counts = repository.contacts_by_key(conn)
    left = sum(count for key_id, count in counts.items() if key_id != vault.active_key_id)
    return {"resealed": resealed, "unreadable": unreadable, "left": left, "by_key": counts}


def main(argv: list[str] | None = None) -> int:
    from chassis.settings import SettingsError, load_settings
    from services.intake.settings import IntakeSettings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)
    try:
        settings = load_settings(IntakeSettings, "intake")
    except SettingsError as exc:
        print(f"vault-rotate: {exc}", file=sys.stderr)
        return 2
    vault = ContactVault.from_settings(settings.vault)
    result = rotate(settings.database.url, settings.schema, vault, args.batch_size)
    print(f"resealed under {vault.active_key_id}: {result['resealed']}")
    for key_id, count in result["by_key"].items():
        print(f"  contacts under {key_id}: {count}")
    if result["unreadable"]:
        print(f"{result['unreadable']} contact(s) could not be opened (their key is not in CFM__VAULT__KEYS, "
              "or the row is damaged); they stay as they are", file=sys.stderr)
        return 1
    if result["left"]:
        print(f"{result['left']} contact(s) were busy and are still under an old key: run it again", file=sys.stderr)
        return 1
    retired = [key_id for key_id in settings.vault.keys if key_id != vault.active_key_id]
    if retired:
        print(f"no contact is left under {', '.join(retired)}: remove it from CFM__VAULT__KEYS and restart intake")
    return 0


if __name__ == "__main__":
    sys.exit(main())
