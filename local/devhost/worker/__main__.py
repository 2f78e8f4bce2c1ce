"""`python -m local.devhost.worker --fd N`: the worker process the devhost starts; not run by hand.

It ends when the host closes the stream (the host stopped or died) or sends WorkerTerminate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from local.devhost.worker.dispatcher import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.devhost.worker", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="the socket inherited from the devhost")
    args = parser.parse_args(argv)
    asyncio.run(run(args.fd))
    sys.stdout.flush()
    # Pool threads may still run a function the host no longer waits for; do not wait for them.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
