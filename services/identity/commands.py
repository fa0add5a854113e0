"""Identity's operator commands, run against its database:

- `python -m services.identity.commands rotate-key` (make identity-rotate-key): a new signing key
  signs from now on; the old ones stay published until the tokens they signed have expired.
- `python -m services.identity.commands token --role agent --country GN` (make token): a development
  token for a developer with curl, signed by identity's own key, as short-lived as every token.
"""
import argparse
import sys
import uuid
from datetime import UTC, datetime

import psycopg
import pyotp
from psycopg import sql

from chassis.db import apply_migrations
from chassis.migrate import ensure_database
from chassis.services import load_service
from chassis.settings import load_settings
from services.identity import domain, handlers, repository
from services.identity.crypto import Passwords, ServiceKeys, new_secret


class _Transaction:
    """The unit of work the use cases expect, on one plain connection."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        self.conn.commit() if exc_type is None else self.conn.rollback()
        return False


def _context(settings) -> handlers.Context:
    return handlers.Context(keys=ServiceKeys(settings.secret_key.get_secret_value()), settings=settings,
                            passwords=None, common_passwords=frozenset(), now=datetime.now(UTC))


def _transaction(settings):
    ensure_database(settings.database.url)
    apply_migrations(settings.database.url, "identity")
    conn = psycopg.connect(settings.database.url)
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(settings.schema)))
    return _Transaction(conn)


def rotate_key(settings) -> str:
    uow = _transaction(settings)
    try:
        return handlers.rotate_signing_key(uow, _context(settings))
    finally:
        uow.conn.close()


def _development_only(settings, what: str) -> None:
    if settings.environment != "development":
        raise SystemExit(f"{what} is for development only (CFM__ENVIRONMENT is {settings.environment})")


def dev_token(settings, *, role: str, countries: list[str], org: str | None = None,
              subject: str | None = None) -> str:
    _development_only(settings, "make token")
    uow = _transaction(settings)
    try:
        with uow:
            return handlers.sign_access_token(uow.conn, _context(settings), subject=subject or f"dev-{role}",
                                              role=role, countries=countries, org=org, session_id=uuid.uuid4())
    finally:
        uow.conn.close()


DEMO_ACCOUNTS = (
    ("agent.gn", "agent", ["GN"], None), ("supervisor.gn", "supervisor", ["GN"], None),
    ("focal.gn", "focal_point", ["GN"], None), ("agent.ml", "agent", ["ML"], None),
    ("supervisor.ml", "supervisor", ["ML"], None), ("focal.ml", "focal_point", ["ML"], None),
    ("partner.gn", "partner", ["GN"], "gn-protection-partner"), ("manager", "manager", ["GN", "ML"], None),
    ("ops", "ops", ["GN", "ML"], None), ("admin", "admin", ["GN", "ML"], None),
)


def seed_demo_accounts(settings) -> list[dict]:
    """Development accounts for `make run`: each gets a new random password, and those whose role needs a
    second factor a TOTP secret already enrolled; both are returned to be printed. Never for production."""
    _development_only(settings, "the demo accounts")
    keys, passwords = ServiceKeys(settings.secret_key.get_secret_value()), Passwords()
    now = datetime.now(UTC)
    seeded = []
    uow = _transaction(settings)
    try:
        with uow:
            for username, role, countries, org in DEMO_ACCOUNTS:
                password = "demo " + new_secret()[:16]
                user = repository.user_by_name(uow.conn, username)
                if user is None:
                    user = {"user_id": uuid.uuid4(), "username": username, "display_name": f"Demo {username}",
                            "role": role, "countries": countries, "org": org, "created_at": now,
                            "created_by": "make run"}
                    repository.insert_user(uow.conn, user)
                totp_secret = pyotp.random_base32() if role in settings.mfa_required_roles else None
                repository.update_user(
                    uow.conn, user["user_id"], password_hash=passwords.hash(password), disabled_at=None,
                    totp_last_step=None, totp_secret=totp_secret and keys.encrypt(
                        totp_secret.encode(), str(user["user_id"]).encode()))
                seeded.append({"username": username, "role": role, "countries": countries, "password": password,
                               "totp_secret": totp_secret})
    finally:
        uow.conn.close()
    return seeded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("rotate-key", help="make a new signing key")
    token = commands.add_parser("token", help="a development token")
    token.add_argument("--role", required=True, choices=domain.ROLES)
    token.add_argument("--country", required=True, help="comma-separated ISO codes, e.g. GN,ML")
    token.add_argument("--org", help="the partner organisation, for role partner")
    token.add_argument("--subject", help="who the token is for (default: dev-<role>)")
    args = parser.parse_args(argv)

    settings = load_settings(load_service("identity")[1], "identity")
    if args.command == "rotate-key":
        kid = rotate_key(settings)
        print(f"new signing key {kid}; older keys stay published for {settings.retired_key_published_for}")
    else:
        print(dev_token(settings, role=args.role, countries=[c.strip().upper() for c in args.country.split(",")],
                        org=args.org, subject=args.subject))
    return 0


if __name__ == "__main__":
    sys.exit(main())
