"""Request bodies become a ScheduleSpec or a ScheduleError with a stable code; nothing in between."""

from __future__ import annotations

from typing import Any

import pytest

from shared.schedules import RetentionPolicy, ScheduleError, parse_schedule_spec

VALID: dict[str, Any] = {"cron": "0 30 2 * * *", "timeZone": "Europe/Amsterdam", "retention": {"keepLast": 7}}


def test_a_valid_body_parses_with_defaults() -> None:
    spec = parse_schedule_spec({**VALID, "cron": "30 2 * * *"})
    assert spec.cron == "0 30 2 * * *"
    assert spec.time_zone == "Europe/Amsterdam"
    assert spec.retention == RetentionPolicy(keep_last=7)
    assert spec.enabled is True


def test_both_retention_rules_and_disabled() -> None:
    spec = parse_schedule_spec({**VALID, "retention": {"keepLast": 3, "keepDays": 30}, "enabled": False})
    assert spec.retention == RetentionPolicy(keep_last=3, keep_days=30)
    assert spec.enabled is False


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"cron": "every day"}, "schedule.invalid_cron"),
        ({"cron": None}, "schedule.invalid_cron"),
        ({"cron": "*/10 * * * *"}, "schedule.too_frequent"),
        ({"timeZone": "Europe/Atlantis"}, "schedule.invalid_timezone"),
        ({"timeZone": None}, "schedule.invalid_timezone"),
        ({"retention": {}}, "schedule.invalid_retention"),
        ({"retention": None}, "schedule.invalid_retention"),
        ({"retention": {"keepLast": 0}}, "schedule.invalid_retention"),
        ({"retention": {"keepLast": True}}, "schedule.invalid_retention"),
        ({"retention": {"keepLast": 2.5}}, "schedule.invalid_retention"),
        ({"retention": {"keepDays": 3651}}, "schedule.invalid_retention"),
        ({"retention": {"keepDays": "30"}}, "schedule.invalid_retention"),
        ({"retention": {"keepLast": 3, "keepWeeks": 2}}, "schedule.invalid_retention"),
        ({"enabled": "yes"}, "schedule.invalid_field"),
        ({"owner": "me"}, "schedule.invalid_field"),
    ],
)
def test_each_invalid_field_has_its_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule_spec({**VALID, **changes})
    problem = caught.value.to_problem().to_dict()
    assert (problem["code"], problem["status"]) == (code, 400)
    assert problem["detail"]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule_spec(["0 30 2 * * *"])
    assert caught.value.code == "schedule.invalid_field"
