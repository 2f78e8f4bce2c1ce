"""The repository explains itself: every document it cites exists, and so does every anchor cited in it.

Every tracked text file is read (outside `node_modules`; the generated protocol module aside), and
these fail the test, each reported as `path:line`:

- a path into a checkout beside this one (`../shared/`) or a `shared/reference/` folder: neither is
  part of the repository;
- an issue or pull request number (`issue 5`, `(issue 6)`, `#12`, `.../issues/7`) or a numbered
  section of an architecture document (`architecture section 4`, `§10`): the tracker and that
  document are not here, so the reason belongs in the repository, cited as `docs/<page>.md#anchor`;
- a Markdown document named (`docs/<page>.md`, `local/graphsim/README.md`, `deploy.md`) that exists
  neither from the repository root, nor beside the citing file, nor in `docs/`; or one cited with
  `#anchor` that has no heading with that anchor (anchors as GitHub makes them from headings);
- in a Markdown file, a relative link whose file does not exist, or whose anchor is not in it.

The catalog table of docs/graph-intune.md#object-types lists exactly the catalog's types, so the
page cannot drift from `shared/intune/catalog.py`. Pure: files are read, nothing is started.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from shared.intune.catalog import TYPES

REPO_ROOT = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()
"""Left out of the scan: it spells every forbidden pattern out to describe it."""
GENERATED = frozenset({"local/devhost/rpc/function_rpc_pb2.py"})
SKIPPED_DIRS = frozenset(
    {".git", "node_modules", ".venv", ".state", ".azurite", "dist", "__pycache__", ".mypy_cache",
     ".pytest_cache", ".ruff_cache"}
)
"""Without git (a source copy), the tree is walked instead, leaving these out as git would."""

FORBIDDEN = (
    (re.compile(r"\.\./shared/"), "a path outside the repository (../shared/)"),
    (re.compile(r"\bshared/reference/"), "a shared/reference/ document the repository lacks"),
    (re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"\(issue\b", re.IGNORECASE), "an issue reference"),
    (re.compile(r"(?<![\w#&/])#\d+\b"), "an issue or pull request number"),
    (re.compile(r"/(?:issues|pull)/\d+"), "a link to an issue or pull request"),
    (re.compile(r"\b(?:PR|pull request)\s*#?\d+", re.IGNORECASE), "a pull request number"),
    (re.compile(r"\barchitecture\s+(?:sections?|§)\s*\d", re.IGNORECASE), "a numbered architecture section"),
    (re.compile(r"§\s*\d"), "a numbered section of an unnamed document"),
)
MD_CITATION = re.compile(r"(?<![\w./:-])((?:\.\./)*(?:[\w-]+/)*[\w-]+\.md)(?![\w/])(?:#([\w-]+))?")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def tracked_files() -> list[str]:
    """Repository-relative paths of the files git tracks (or, without git, of the tree)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8")
        return [path for path in listed.split("\0") if path]
    except (OSError, subprocess.SubprocessError):
        return sorted(_walk())


def _walk() -> Iterator[str]:
    for folder, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            yield (Path(folder) / name).relative_to(REPO_ROOT).as_posix()


def text_files() -> Iterator[tuple[str, str]]:
    """(path, text) of every scanned file: tracked, present, UTF-8 text, not excluded."""
    for path in tracked_files():
        if path.split("/")[0] == "node_modules" or path in GENERATED or path == THIS_FILE:
            continue
        file = REPO_ROOT / path
        if not file.is_file():
            continue
        data = file.read_bytes()
        if b"\0" in data:
            continue
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: rendered text, lower case, punctuation dropped, spaces to `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


@cache
def anchors(path: str) -> frozenset[str]:
    """Every anchor of a Markdown file: its headings' (repeats get -1, -2, ...) and explicit ids."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    in_fence = False
    text = (REPO_ROOT / path).read_text(encoding="utf-8")
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", text))
    return frozenset(found)


def check_target(path: str, anchor: str | None) -> str | None:
    """Why a cited document (and anchor) does not resolve, or None when it does."""
    if not (REPO_ROOT / path).is_file():
        return f"{path} does not exist"
    if anchor and path.endswith(".md") and anchor not in anchors(path):
        return f"{path} has no heading with the anchor #{anchor}"
    return None


def reference_problems(path: str, text: str) -> Iterator[str]:
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        for pattern, what in FORBIDDEN:
            match = pattern.search(line)
            if match:
                yield f"{where}: {what}: {match.group(0)!r}"
        for match in MD_CITATION.finditer(line):
            problem = check_target(_document(path, match.group(1)), match.group(2))
            if problem:
                yield f"{where}: cites {match.group(0)!r}, but {problem}"
        if path.endswith(".md"):
            yield from (f"{where}: {problem}" for problem in _link_problems(path, line))


def _document(citing: str, named: str) -> str:
    """The repository path a document name stands for: from the root, beside the citing file, or in
    docs/ (the first that exists; else the name from the root, which check_target reports missing)."""
    from_root = re.sub(r"^(?:\.\./)+", "", named)
    beside = ((REPO_ROOT / citing).parent / named).resolve()
    candidates = [REPO_ROOT / from_root, beside, REPO_ROOT / "docs" / named]
    for candidate in candidates:
        try:
            relative = candidate.resolve().relative_to(REPO_ROOT).as_posix()
        except ValueError:
            continue
        if candidate.is_file():
            return relative
    return from_root


def _link_problems(path: str, line: str) -> Iterator[str]:
    """Relative Markdown links of `line`, resolved from the file's folder."""
    for match in MARKDOWN_LINK.finditer(line):
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (REPO_ROOT / path).parent / file_part if file_part else REPO_ROOT / path
        try:
            relative = resolved.resolve().relative_to(REPO_ROOT).as_posix()
        except ValueError:
            yield f"links to {target!r}, outside the repository"
            continue
        problem = check_target(relative, anchor or None)
        if problem:
            yield f"links to {target!r}, but {problem}"


def test_every_cited_document_and_anchor_exists_and_nothing_cites_what_the_repo_lacks() -> None:
    problems = [problem for path, text in text_files() for problem in reference_problems(path, text)]
    assert not problems, "\n".join(problems)


def test_the_scan_reads_the_code_and_the_docs() -> None:
    """Guards the test above against passing because it read nothing."""
    scanned = {path for path, _ in text_files()}
    assert {"README.md", "docs/architecture.md", "docs/graph-intune.md", "shared/__init__.py"} <= scanned
    assert not any(path.startswith("node_modules/") for path in scanned)


def test_the_checks_catch_what_they_are_for() -> None:
    cited = "see docs/architecture.md#run-model and docs/architecture.md#no-such-heading"
    found = list(reference_problems("x.py", cited))
    assert len(found) == 1 and "#no-such-heading" in found[0]
    assert list(reference_problems("x.py", "docs/missing.md"))
    assert list(reference_problems("x.py", "facts per type (graph-intune-v2.md)"))
    assert not list(reference_problems("local/x.py", "limits (graph-intune.md#throttling), see README.md"))
    assert list(reference_problems("docs/architecture.md", "[runs](#no-such-heading)"))
    assert not list(reference_problems("docs/architecture.md", "[runs](#run-model), [G](graph-intune.md)"))
    for bad in ("(issue 6)", "see issue 5", "fixed in #12", "../shared/x.md", "shared/reference/a.md",
                "architecture section 4", "architecture §10"):
        assert list(reference_problems("x.py", bad)), bad
    for fine in ("tag#1", "0 0 0 * * 5#2", "#microsoft.graph.x", "issued by Entra", "&#39;"):
        assert not list(reference_problems("x.py", fine)), fine


def test_anchors_are_made_as_github_makes_them() -> None:
    assert slug("401, 403 and 404") == "401-403-and-404"
    assert slug("Retry-After and retries") == "retry-after-and-retries"
    assert slug("The `$batch` call") == "the-batch-call"
    assert slug("Microsoft Graph and Intune: the facts") == "microsoft-graph-and-intune-the-facts"


def test_the_object_type_table_lists_exactly_the_catalog() -> None:
    text = (REPO_ROOT / "docs/graph-intune.md").read_text(encoding="utf-8")
    section = text.split("\n## Object types\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)`", section, re.MULTILINE)
    assert sorted(rows) == sorted(entry.name for entry in TYPES)
