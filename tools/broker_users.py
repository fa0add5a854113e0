"""RabbitMQ users: one per service, allowed only what that service does on the broker.

`python -m tools.broker_users --write` rewrites deploy/rabbitmq/definitions.json (users without
passwords, their permissions and topic permissions; read it to review who may do what).
`python -m tools.broker_users --vhost cfm` creates the vhost, the users with passwords from the
environment (CFM_AMQP_<SERVICE>_PASSWORD, CFM_AMQP_MIGRATOR_PASSWORD) and their permissions through
the management API (the compose `broker-setup` job).

Each service may declare, read and bind only its own queues, publish only on its own events
exchange, read the events exchanges of the services it consumes, and on the RPC exchange publish
replies only; notifications and referrals alone may call `intake.reveal_contact` (a topic permission:
RabbitMQ refuses the publish, and closes the channel, for anyone else). The migration user declares every
queue before the services start.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import requests

DEFINITIONS = Path(__file__).resolve().parent.parent / "deploy" / "rabbitmq" / "definitions.json"
RPC_EXCHANGE = "nameko-rpc"
REPLY_KEY = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # nameko's reply routing keys
# The RPC calls of the platform: the vault, by notifications for its SMS and by referrals for a partner who
# accepted a referral and by cases for an agent calling a person back; the partner directory's on-duty
# number, by notifications for an emergency referral.
RPC_CALLS = {"notifications": ["intake.reveal_contact", "referrals.get_partner_on_duty"],
             "referrals": ["intake.reveal_contact"], "cases": ["intake.reveal_contact"]}


def consumed_sources(service: str) -> list[str]:
    from chassis.messaging import EventConsumer
    from chassis.services import load_service

    service_cls, _ = load_service(service)
    return sorted({entrypoint.source_service for attr in dir(service_cls)
                   for entrypoint in getattr(getattr(service_cls, attr), "nameko_entrypoints", ())
                   if isinstance(entrypoint, EventConsumer)})


def _any_of(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def definitions(prefix: str = "cfm", vhost: str = "cfm") -> dict:
    from chassis.services import SERVICES

    users, permissions, topic_permissions = [], [], []
    for service in SERVICES:
        user = f"{prefix}_{service}"
        own = [rf"{service}\..*", f"rpc-{service}", rf"rpc\.reply-{service}-.*"]
        sources = [rf"{source}\.events" for source in consumed_sources(service)]
        users.append({"name": user, "password_hash": "", "tags": ""})
        permissions.append({
            "user": user, "vhost": vhost,
            # Declaring a queue declares its exchange too: the consumed exchanges need `configure`.
            "configure": _any_of(*own, *sources, RPC_EXCHANGE),
            # amq.default: an operator's replay of a parked message goes back by queue name.
            "write": _any_of(*own, RPC_EXCHANGE, r"amq\.default"),
            "read": _any_of(*own, *sources, RPC_EXCHANGE),
        })
        topic_permissions.append({"user": user, "vhost": vhost, "exchange": RPC_EXCHANGE,
                                  "write": _any_of(REPLY_KEY, *(call.replace(".", r"\.")
                                                                for call in RPC_CALLS.get(service, []))),
                                  "read": ".*"})
    migrator = f"{prefix}_migrator"
    users.append({"name": migrator, "password_hash": "", "tags": ""})
    permissions.append({"user": migrator, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"})
    return {"vhosts": [{"name": vhost}], "users": users, "permissions": permissions,
            "topic_permissions": topic_permissions}


def apply(api: str, auth: tuple[str, str], defs: dict, passwords: dict[str, str]) -> None:
    """Create the vhost, the users (with their passwords) and their permissions."""
    def put(path: str, body: dict) -> None:
        requests.put(f"{api}/{path}", json=body, auth=auth, timeout=10).raise_for_status()

    quote = requests.utils.quote
    for vhost in defs["vhosts"]:
        put(f"vhosts/{quote(vhost['name'], safe='')}", {})
    for user in defs["users"]:
        password = passwords.get(user["name"])
        if not password:
            raise SystemExit(f"no password for broker user {user['name']}")
        put(f"users/{quote(user['name'], safe='')}", {"password": password, "tags": user["tags"]})
    for grant in defs["permissions"]:
        put(f"permissions/{quote(grant['vhost'], safe='')}/{quote(grant['user'], safe='')}",
            {key: grant[key] for key in ("configure", "write", "read")})
    for grant in defs["topic_permissions"]:
        put(f"topic-permissions/{quote(grant['vhost'], safe='')}/{quote(grant['user'], safe='')}",
            {key: grant[key] for key in ("exchange", "write", "read")})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite deploy/rabbitmq/definitions.json")
    parser.add_argument("--vhost", default="cfm")
    parser.add_argument("--prefix", default="cfm")
    parser.add_argument("--api", default=os.environ.get("CFM_RABBITMQ_API", "http://rabbitmq:15672/api"))
    args = parser.parse_args(argv)
    defs = definitions(args.prefix, args.vhost)
    if args.write:
        DEFINITIONS.write_text(json.dumps(defs, indent=2) + "\n")
        return 0
    auth = (os.environ["CFM_RABBITMQ_ADMIN_USER"], os.environ["CFM_RABBITMQ_ADMIN_PASSWORD"])
    passwords = {user["name"]: os.environ.get(f"CFM_AMQP_{user['name'].removeprefix(args.prefix + '_').upper()}"
                                              "_PASSWORD", "") for user in defs["users"]}
    apply(args.api, auth, defs, passwords)
    print(f"{len(defs['users'])} broker users on vhost {args.vhost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
