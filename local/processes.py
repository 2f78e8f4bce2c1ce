"""Stopping the local stack's child processes, each started in its own session (process group)."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Any


def stop_process_group(process: subprocess.Popen[Any], timeout: float = 10.0) -> int:
    """SIGTERM the child's process group and wait; SIGKILL it if it outlives `timeout`; the exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(process)
    return process.wait()


def kill_process_group(process: subprocess.Popen[Any]) -> None:
    """kill -9 the child's process group (crash tests, hung children)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
