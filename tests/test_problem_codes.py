"""Problem codes are documented: docs/api-errors.md lists exactly the codes the app can answer with.

Every `ProblemError` subclass in `shared/` and `triggers/` is found by importing both packages; the
table of the page is read by its first column. A code added without a line in the table, or a line
left for a code that is gone, fails here. Pure: modules are imported, nothing is started.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import shared
import triggers
from shared.http.problems import ProblemError

API_ERRORS = Path(__file__).resolve().parents[1] / "docs" / "api-errors.md"
TABLE_ROW = re.compile(r"^\| `([a-z_.]+)` \| (\d{3}) \|", re.MULTILINE)


def _problem_classes() -> list[type[ProblemError]]:
    for package in (shared, triggers):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: list[type[ProblemError]] = []
    pending = [ProblemError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.split(".")[0] in ("shared", "triggers"):
                found.append(subclass)  # not those tests define for themselves
    return found


def _documented() -> dict[str, int]:
    return {code: int(status) for code, status in TABLE_ROW.findall(API_ERRORS.read_text())}


def test_every_problem_code_is_documented_with_its_status() -> None:
    documented = _documented()
    classes: list[type[ProblemError]] = [ProblemError, *_problem_classes()]
    answered = {cls.code: cls.status for cls in classes}
    assert sorted(set(answered) - set(documented)) == [], "add these codes to docs/api-errors.md"
    assert sorted(set(documented) - set(answered)) == [], "docs/api-errors.md lists codes nothing raises"
    assert {code: documented[code] for code in answered} == answered


def test_one_code_means_one_thing() -> None:
    """Subclasses that keep their parent's code (e.g. `InvalidToken`) share its status too."""
    by_code: dict[str, set[int]] = {}
    for cls in _problem_classes():
        by_code.setdefault(cls.code, set()).add(cls.status)
    assert {code: statuses for code, statuses in by_code.items() if len(statuses) > 1} == {}
