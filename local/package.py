"""`python -m local.package [--out dist/tenantatlas.zip]`: the zip that `azd deploy` ships.

The files of the project (those git tracks, and new ones it does not ignore) less what `.funcignore` leaves
out: the app, host.json and requirements.txt, which Azure installs at deploy time (remote build); and the
built console (`console/dist`, which git ignores: `make setup` builds it). The
entries are sorted and dated 1980-01-01, so the same tree gives the same zip byte for byte.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

import pathspec

REPO_ROOT = Path(__file__).resolve().parents[1]
IGNORE_FILE = ".funcignore"
DEFAULT_OUT = REPO_ROOT / "dist" / "tenantatlas.zip"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
BUILT_FOLDERS = ("console/dist",)
"""Built by `make setup`, ignored by git, shipped in the package."""


class NotBuiltError(RuntimeError):
    """A built folder the package ships is missing."""


def package_files(root: Path = REPO_ROOT) -> list[str]:
    """Relative paths of what the package holds, sorted."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    ignore = pathspec.GitIgnoreSpec.from_lines((root / IGNORE_FILE).read_text().splitlines())
    kept = {path for path in listed if path and (root / path).is_file() and not ignore.match_file(path)}
    for folder in BUILT_FOLDERS:
        built = [path for path in (root / folder).rglob("*") if path.is_file()]
        if not built:
            raise NotBuiltError(f"{folder} is empty or missing: `make setup` builds the console.")
        kept.update(path.relative_to(root).as_posix() for path in built)
    return sorted(kept)


def build_package(out: Path = DEFAULT_OUT, root: Path = REPO_ROOT) -> list[str]:
    """Write the zip; the paths it holds."""
    files = package_files(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path, date_time=_FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, (root / path).read_bytes())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.package", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the zip")
    args = parser.parse_args(argv)
    files = build_package(args.out)
    print(f"{args.out}: {len(files)} files, {args.out.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
