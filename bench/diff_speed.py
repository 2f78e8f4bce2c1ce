"""How long the field-level diff takes on two 150-setting settings catalog policies.

The policies come from graphsim's seed generator (choice, simple and group collection settings).
The second is the first read again (settings, assignments and scope tags in another order, new
setting IDs) with `--changes` choice values changed, so the diff walks everything and reports
exactly those changes. Prints per-diff p50 / p95 in milliseconds; the last line is one JSON object.

    .venv/bin/python bench/diff_speed.py [--settings 150] [--changes 5] [--runs 200]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from local.graphsim.intune.seed.catalog_settings import generate_settings
from local.graphsim.intune.seed.random_source import Source
from shared.intune.diff import diff_policies

TARGET_P95_MS = 20.0
"""A version diff is one API call and a restore preview diffs up to 300 items: well under a second."""


def policy(settings: int) -> dict[str, Any]:
    return {
        "id": "5f0c9a3e-1d2b-4c7a-8e6f-9b0a1c2d3e4f",
        "name": "WIN - Baseline - Defender",
        "platforms": "windows10",
        "technologies": "mdm",
        "roleScopeTagIds": ["0", "3", "7"],
        "settings": generate_settings(Source(11, "bench"), settings),
        "assignments": [
            {
                "id": f"a{index}",
                "target": {
                    "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                    "groupId": f"group-{index}",
                },
            }
            for index in range(5)
        ],
    }


def recaptured_with_changes(before: dict[str, Any], changes: int) -> dict[str, Any]:
    after = copy.deepcopy(before)
    for list_name in ("settings", "assignments", "roleScopeTagIds"):
        after[list_name].reverse()
    for index, item in enumerate(after["settings"]):
        item["id"] = str(1000 + index)
    choices = [
        item["settingInstance"]
        for item in after["settings"]
        if "choiceSettingValue" in item["settingInstance"]
    ]
    for instance in choices[:changes]:
        instance["choiceSettingValue"]["value"] += "_changed"
    return after


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settings", type=int, default=150)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    before = policy(args.settings)
    after = recaptured_with_changes(before, args.changes)
    found = len(diff_policies("configurationPolicies", before, after).changes)
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        diff_policies("configurationPolicies", before, after)
        timings.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(
        f"{args.settings} settings, {args.changes} changed, {args.runs} runs: "
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"
    )
    met = p95 < TARGET_P95_MS and found == args.changes
    print(
        json.dumps(
            {
                "settings": args.settings,
                "changes_made": args.changes,
                "changes_found": found,
                "runs": args.runs,
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "target_p95_ms": TARGET_P95_MS,
                "met": met,
            }
        )
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
