"""Onboard tenants and grant roles through the app's API, as a platform admin (the `msp.admin` role).

    python -m local.admin add-tenant --tenant ID_OR_DOMAIN --name Contoso --credential-ref graphsim
    python -m local.admin consent-url --tenant-id GUID
    python -m local.admin verify --tenant-id GUID
    python -m local.admin grant --tenant-id GUID --role operator (--principal user:GUID | --user NAME)
    python -m local.admin revoke --tenant-id GUID (--principal KEY | --user NAME)
    python -m local.admin list

Each takes `--api URL` (the app, default http://127.0.0.1:7071) before the command.

A thin client of the routes: every change goes through the API and its audit trail. The token is a
dev token (`local.tokens`) of `--as` (default platform-admin@msp.example) carrying the app role, so
this only works against a local app (`make run`, default http://127.0.0.1:7071) that trusts the dev
key in `--state-dir`. `--user NAME` stands for the demo principal that `python -m local.tokens mint
--principal NAME` signs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import requests

from local.tokens import demo_object_id, ensure_dev_signing_key, mint_token
from shared.auth.roles import PLATFORM_ADMIN_ROLE, Role
from shared.config.settings import DEV_AUTH_FOLDER, REPO_ROOT

PLATFORM_ADMIN = "platform-admin@msp.example"


class AdminCommandFailed(Exception):
    """The API refused; the message is its problem code and detail."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m local.admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default="http://127.0.0.1:7071", help="the app's base URL")
    parser.add_argument(
        "--state-dir", type=Path, default=REPO_ROOT / ".state", help="holds the dev signing key"
    )
    parser.add_argument("--as", dest="actor", default=PLATFORM_ADMIN, help="the platform admin's name")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-tenant", help="register a managed tenant (POST /api/tenants)")
    add.add_argument(
        "--tenant", "--tenant-id", dest="tenant", required=True, help="tenant ID or verified domain"
    )
    add.add_argument("--name", required=True)
    add.add_argument("--credential-ref", required=True, help="names the Graph credential, e.g. graphsim")
    add.add_argument("--cloud", default="public")
    for name, helptext in (
        ("consent-url", "the admin consent link"),
        ("verify", "verify consent and permissions"),
    ):
        commands.add_parser(name, help=helptext).add_argument("--tenant-id", required=True)
    for name, helptext in (("grant", "give a principal a role on a tenant"), ("revoke", "remove a role")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("--tenant-id", required=True)
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--principal", help="user:<object id> or app:<client id>")
        who.add_argument("--user", help="a demo user name, as given to local.tokens mint --principal")
        if name == "grant":
            command.add_argument("--role", required=True, choices=[str(role) for role in Role])
    commands.add_parser("list", help="every tenant with its health")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    key = ensure_dev_signing_key(args.state_dir / DEV_AUTH_FOLDER)
    token = mint_token(key, principal_name=args.actor, extra_claims={"roles": [PLATFORM_ADMIN_ROLE]})
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        try:
            print(_run(args, lambda method, path, body=None: _call(session, args.api, method, path, body)))
        except AdminCommandFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except requests.RequestException as exc:
            print(f"error: the app at {args.api} did not answer ({type(exc).__name__})", file=sys.stderr)
            return 2
    return 0


def _run(args: argparse.Namespace, call: Any) -> str:
    if args.command == "add-tenant":
        body = {"tenant": args.tenant, "displayName": args.name, "credentialRef": args.credential_ref}
        tenant = call("POST", "tenants", {**body, "cloud": args.cloud})
        consent = tenant["consent"]["consentUrl"]
        return f"added tenant {tenant['tenantId']} ({tenant['displayName']}); consent: {consent}"
    if args.command == "consent-url":
        return str(call("GET", f"tenants/{args.tenant_id}/consent")["consentUrl"])
    if args.command == "verify":
        health = call("POST", f"tenants/{args.tenant_id}/verify")["health"]
        missing = (
            f" missing {', '.join(health['missingPermissions'])}" if health["missingPermissions"] else ""
        )
        return f"tenant {args.tenant_id}: {health['status']}{missing}"
    if args.command in ("grant", "revoke"):
        principal = args.principal or f"user:{demo_object_id(args.user)}"
        path = f"tenants/{args.tenant_id}/members/{principal}"
        if args.command == "grant":
            membership = call("PUT", path, {"role": args.role})
            return f"granted {membership['role']} on {membership['tenantId']} to {membership['principal']}"
        call("DELETE", path)
        return f"revoked {principal} on {args.tenant_id}"
    tenants = call("GET", "tenants")["items"]
    return "\n".join(
        f"{t['tenantId']}  {t['displayName']}  cloud={t['cloud']}  credential={t['credentialRef']}  "
        f"{t['status']}  health={t['health']['status']}"
        for t in tenants
    )


def _call(session: requests.Session, api: str, method: str, path: str, body: Any = None) -> Any:
    answer = session.request(method, f"{api.rstrip('/')}/api/{path}", json=body, timeout=60)
    if answer.status_code >= 400:
        try:
            problem = answer.json()
            raise AdminCommandFailed(
                f"{answer.status_code} {problem['code']}: {problem.get('detail') or problem['title']}"
            )
        except (ValueError, KeyError):
            raise AdminCommandFailed(f"{answer.status_code}: {answer.text[:200]}") from None
    return json.loads(answer.content) if answer.content else None


if __name__ == "__main__":
    sys.exit(main())
