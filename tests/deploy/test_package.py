"""The deployment zip alone is enough: unpacked into a fresh folder with a fresh Python 3.13 that holds
only requirements.txt, the worker indexes and loads every function. This catches a runtime dependency
missing from requirements.txt and a dev-only import in production code."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from local.devhost.worker_process import WorkerProcess
from local.package import build_package

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_MODULES = ("local/__init__.py", "local/devhost/__init__.py", "local/devhost/rpc", "local/devhost/worker")
"""The devhost's worker process: what the Functions host provides on Azure, kept apart from the app."""
HOST_REQUIREMENT = "protobuf==7.36.2"
"""The worker process's own need (the protocol messages); on Azure the host's worker brings it."""


def test_the_package_leaves_out_everything_but_the_app(tmp_path: Path) -> None:
    files = build_package(tmp_path / "app.zip")
    assert {"function_app.py", "host.json", "requirements.txt"} <= set(files)
    tops = {path.split("/")[0] for path in files}
    assert tops == {"function_app.py", "host.json", "requirements.txt", "activities", "orchestrators",
                    "shared", "triggers", "console"}
    console = [path for path in files if path.startswith("console/")]
    assert "console/dist/index.html" in console
    assert all(path.startswith("console/dist/") for path in console), "sources and build script stay out"
    assert not [path for path in files if path.endswith((".pyc", "local.settings.json"))]


@pytest.mark.slow
def test_the_unpacked_package_loads_in_a_fresh_venv_with_only_its_requirements(tmp_path: Path) -> None:
    build_package(tmp_path / "app.zip")
    app_dir = tmp_path / "wwwroot"
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        archive.extractall(app_dir)
    python = _fresh_venv(tmp_path / "venv", app_dir / "requirements.txt")
    host_path = _host_modules(tmp_path / "host")

    async def load() -> list[str]:
        environment = {"PATH": "/usr/bin:/bin"}
        worker = WorkerProcess(app_dir, environment=environment, python=python, host_path=host_path)
        try:
            return [function.name for function in await worker.start()]
        finally:
            await worker.stop()

    loaded = asyncio.run(load())
    assert len(loaded) == len(set(loaded)) >= 44
    assert {"start_backup", "tenant_backup", "backup_capture_chunk", "start_scheduled_backups"} <= set(loaded)


def _fresh_venv(where: Path, requirements: Path) -> str:
    venv.create(where, with_pip=True)
    python = str(where / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements),
         HOST_REQUIREMENT],
        check=True, capture_output=True,
    )
    frozen = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True, capture_output=True)
    names = {package["name"].lower() for package in json.loads(frozen.stdout)}
    dev_only = {"pytest", "psutil", "uvloop", "pathspec", "mypy", "ruff"}
    assert not names & dev_only, "the venv must hold only the app's requirements"
    assert sys.version_info[:2] == (3, 13)
    return python


def _host_modules(where: Path) -> Path:
    for module in HOST_MODULES:
        source, target = REPO_ROOT / module, where / module
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return where
