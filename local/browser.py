"""Debian's Chromium for the console's browser tests: found on the PATH, or installed with apt-get when
missing and this process may (root, as in CI); Playwright drives it by its executable path and never
downloads a browser of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")
APT_PACKAGE = "chromium"


class BrowserMissingError(RuntimeError):
    """No Chromium, and none could be installed here; the message says how to get one."""


def chromium_path(install: bool = True) -> str:
    """The Chromium executable; installs Debian's package first when it is missing and we are root."""
    found = _find()
    if found is None and install and _may_install():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
        install_command = ["apt-get", "install", "-y", "-q", APT_PACKAGE]
        subprocess.run(install_command, check=True, capture_output=True, env=env)
        found = _find()
    if found is None:
        raise BrowserMissingError(
            f"Chromium is not installed: `sudo apt-get install {APT_PACKAGE}` (Debian), or put a Chromium "
            f"named one of {', '.join(CANDIDATES)} on the PATH."
        )
    return found


def _find() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def _may_install() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/usr/bin/apt-get").exists()
