"""`python -m local.graphsim`: run the Graph + Entra simulator on loopback until interrupted."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from local.graphsim.config import ConfigError, SimConfig, update_config
from local.graphsim.profiles import PROFILES
from local.graphsim.server import LoopbackOnlyError, ServerOptions, serve

_DEFAULT_STATE = Path(__file__).resolve().parents[2] / ".state" / "graphsim"


def parse_args(argv: list[str]) -> ServerOptions:
    parser = argparse.ArgumentParser(prog="python -m local.graphsim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (see ready.json)")
    parser.add_argument("--profile", choices=PROFILES, default="demo", help="seed profile (default demo)")
    parser.add_argument("--tenants", type=int, help="number of tenants (demo/empty 3, sized 10)")
    parser.add_argument("--objects", type=int, help="objects per tenant (demo 150, sized 300)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=_DEFAULT_STATE,
        help="where ca.pem, credentials.json and ready.json go (default .state/graphsim)",
    )
    parser.add_argument(
        "--config", type=Path, help="JSON file with latency, throttle, faults, tokens sections"
    )
    args = parser.parse_args(argv)
    if args.tenants is not None and args.tenants < 1:
        parser.error("--tenants must be at least 1")
    if args.objects is not None and args.objects < 0:
        parser.error("--objects must not be negative")
    config = SimConfig()
    if args.config is not None:
        try:
            config = update_config(config, json.loads(args.config.read_text()))
        except (OSError, ValueError) as exc:
            parser.error(f"--config {args.config}: {exc}")
    return ServerOptions(
        state_dir=args.state_dir,
        host=args.host,
        port=args.port,
        profile=args.profile,
        tenants=args.tenants,
        objects=args.objects,
        config=config,
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    options = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import uvloop

        uvloop.run(serve(options))
    except (LoopbackOnlyError, ConfigError) as exc:
        logging.getLogger("graphsim").error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
