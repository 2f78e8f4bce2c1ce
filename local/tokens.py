"""Dev signing key, dev JWKS and tokens for the demo principals, for local runs only.

The app validates these tokens with the same code as Entra's: only the JWKS comes from a
file (`TENANTATLAS_AUTH_DEV_MODE=true`, refused unless `TENANTATLAS_ENVIRONMENT=local`).
The key lives under the ignored state folder and is generated on first use, never committed.

    python -m local.tokens init
    python -m local.tokens mint --principal alice@contoso [--oid GUID] [--expires-in 3600] [--audience URI]
    python -m local.tokens mint --app --principal "Contoso automation" [--app-id GUID]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.auth.dev_tokens import (
    DEV_TENANT_ID,
    DevSigningKey,
    demo_app_id,
    demo_object_id,
    ensure_dev_signing_key,
    mint_token,
    write_jwks,
)
from shared.config.settings import DEV_AUDIENCE, DEV_AUTH_FOLDER, DEV_JWKS_FILE, REPO_ROOT

__all__ = [
    "DEV_TENANT_ID",
    "DevSigningKey",
    "demo_app_id",
    "demo_object_id",
    "ensure_dev_signing_key",
    "mint_token",
    "write_jwks",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.tokens", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".state",
                        help="the app's TENANTATLAS_STATE_DIR (default: .state in the repo)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init", help="create the dev signing key and JWKS if missing")
    mint = commands.add_parser("mint", help="print a token for a demo principal")
    mint.add_argument("--principal", required=True, help="user name (alice@contoso) or app display name")
    mint.add_argument("--oid", help="object ID (default: stable per principal name)")
    mint.add_argument("--app", action="store_true", help="an application token instead of a user token")
    mint.add_argument("--app-id", help="client ID of the application (default: stable per name)")
    mint.add_argument("--expires-in", type=int, default=3600, help="seconds; negative for an expired token")
    mint.add_argument("--audience", default=DEV_AUDIENCE)
    mint.add_argument("--json", action="store_true", help="print the token with its principal key")
    args = parser.parse_args(argv)

    key = ensure_dev_signing_key(args.state_dir / DEV_AUTH_FOLDER)
    if args.command == "init":
        print(args.state_dir / DEV_AUTH_FOLDER / DEV_JWKS_FILE)
        return 0
    token = mint_token(
        key,
        principal_name=args.principal,
        object_id=args.oid,
        app_id=args.app_id,
        is_app=args.app,
        audience=args.audience,
        expires_in=args.expires_in,
    )
    if args.json:
        if args.app:
            principal = "app:" + (args.app_id or demo_app_id(args.principal))
        else:
            principal = "user:" + (args.oid or demo_object_id(args.principal))
        print(json.dumps({"token": token, "principal": principal}))
    else:
        print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
