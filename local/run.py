"""`make run`: start the local stack and keep serving until Ctrl-C, then stop everything."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from local.stack import Stack, exit_on_sigterm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.run", description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="devhost port (default 7071, as Core Tools)")
    parser.add_argument("--no-timers", action="store_true", help="do not run timer triggers")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    exit_on_sigterm()
    try:
        with Stack(port=args.port, timers=not args.no_timers) as stack:
            print(
                "\n".join(
                    [
                        "",
                        "TenantAtlas local stack is running:",
                        *stack.describe(),
                        "Press Ctrl-C to stop.",
                        "",
                    ]
                ),
                flush=True,
            )
            signal.pause()
    except KeyboardInterrupt:
        print("Stopping the stack.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
