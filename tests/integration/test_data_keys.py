"""Data keys in a service's own table (chassis/envelope.py) on real PostgreSQL: a master key retires
by re-wrapping the data keys alone, and an erased case's texts cannot be opened by anyone."""
import os

import pytest

from chassis.envelope import KeyDestroyed, TextEnvelope


def test_rewrapping_moves_data_keys_to_the_new_master_key_and_leaves_the_texts_as_they_were(db):
    db.execute("SET search_path TO cases")
    old, new = os.urandom(32), os.urandom(32)
    before = TextEnvelope({"m1": old}, "m1")
    sealed = [before.seal(before.data_key(db, f"case-{i}"), f"texte {i}") for i in range(3)]

    during = TextEnvelope({"m1": old, "m2": new}, "m2")
    assert during.rewrap(db, batch_size=2) == {"rewrapped": 3, "unreadable": 0, "by_key": {"m2": 3}}
    assert during.rewrap(db)["rewrapped"] == 0  # run again: nothing left to do

    after = TextEnvelope({"m2": new}, "m2")  # the old master key is gone from the ring
    assert [after.open(after.existing_key(db, f"case-{i}"), sealed[i]) for i in range(3)] == \
        ["texte 0", "texte 1", "texte 2"]


def test_a_destroyed_data_key_makes_its_texts_unreadable_for_good(db):
    db.execute("SET search_path TO intake")
    envelope = TextEnvelope({"m1": os.urandom(32)}, "m1")
    sealed = envelope.seal(envelope.data_key(db, "GN-2026-000001"), "Le gardien m'a menacée")
    assert envelope.destroy(db, "GN-2026-000001") is True
    assert envelope.destroy(db, "GN-2026-000001") is False  # erasing twice changes nothing
    assert envelope.existing_key(db, "GN-2026-000001") is None
    assert envelope.open(None, sealed) == ""
    with pytest.raises(KeyDestroyed):  # nothing new is ever sealed for an erased case
        envelope.data_key(db, "GN-2026-000001")
    assert db.execute("SELECT wrapped_key, master_key_id FROM data_keys").fetchall() == [(None, None)]
