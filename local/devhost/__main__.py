"""`python -m local.devhost`: run the Function App locally until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from local.devhost.app_loader import AppLoadError
from local.devhost.config import ConfigError, HostOptions, load_config
from local.devhost.server import DevHost, EngineMissingError

log = logging.getLogger("devhost")


def parse_args(argv: list[str] | None = None) -> HostOptions:
    parser = argparse.ArgumentParser(prog="python -m local.devhost", description=__doc__)
    parser.add_argument(
        "--app-dir", type=Path, default=Path("."), help="folder with host.json and the app module"
    )
    parser.add_argument(
        "--app-module", default="function_app", help="module that defines the FunctionApp/DFApp"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback only)")
    parser.add_argument("--port", type=int, default=7071, help="0 picks a free port; ready.json tells which")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".state/devhost"),
        help="keys, ready.json and Azurite data (for UseDevelopmentStorage=true)",
    )
    parser.add_argument(
        "--no-timers", action="store_true", help="do not run timer triggers (admin runs still work)"
    )
    parser.add_argument(
        "--settings", type=Path, default=None, help="default: local.settings.json in --app-dir"
    )
    parser.add_argument(
        "--shared-activities",
        action="store_true",
        help="share activities with every devhost started so on the same storage and task hub",
    )
    args = parser.parse_args(argv)
    return HostOptions(
        app_dir=args.app_dir,
        app_module=args.app_module,
        host=args.host,
        port=args.port,
        state_dir=args.state_dir,
        timers_enabled=not args.no_timers,
        settings_file=args.settings,
        shared_activities=args.shared_activities,
    )


async def serve(options: HostOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host = DevHost(load_config(options))
    try:
        base_url = await host.start()
        print(f"Devhost listening on {base_url}", flush=True)
        await stop.wait()
        log.info("Stopping")
    finally:
        await host.stop()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The Azure SDK logs request headers at INFO; keep it to warnings so no key reaches the log.
    logging.getLogger("azure").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(parse_args(argv)))
    except (ConfigError, AppLoadError, EngineMissingError) as error:
        log.error("%s", error)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
