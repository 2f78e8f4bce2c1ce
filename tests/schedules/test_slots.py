"""Slots in a time zone: DST-safe (each daily slot once, even when clocks jump or repeat an hour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.schedules import (
    InvalidCron,
    InvalidTimeZone,
    ScheduleTooFrequent,
    latest_slot,
    load_zone,
    next_slot,
    normalize_cron,
    slot_id,
)

AMSTERDAM = load_zone("Europe/Amsterdam")
NEW_YORK = load_zone("America/New_York")
DAILY_0230 = "0 30 2 * * *"
HOURLY = "0 30 * * * *"


def _slots(cron: str, zone_name: str, start: datetime, count: int) -> list[datetime]:
    zone, out, moment = load_zone(zone_name), [], start
    for _ in range(count):
        moment = next_slot(cron, zone, moment)
        out.append(moment)
    return out


def _local(moments: list[datetime], zone_name: str) -> list[str]:
    return [m.astimezone(load_zone(zone_name)).strftime("%m-%d %H:%M%z") for m in moments]


@pytest.mark.parametrize(
    ("zone", "day_before", "expected"),
    [
        # Spring forward: 02:30 does not exist; the slot is the instant the clocks jump (03:00 local).
        ("Europe/Amsterdam", datetime(2024, 3, 30, 12, tzinfo=UTC), ["03-31 03:00+0200", "04-01 02:30+0200"]),
        ("America/New_York", datetime(2024, 3, 9, 12, tzinfo=UTC), ["03-10 03:00-0400", "03-11 02:30-0400"]),
        # Fall back: 02:30 happens twice (Amsterdam) -> once, at its first occurrence.
        (
            "Europe/Amsterdam",
            datetime(2024, 10, 26, 12, tzinfo=UTC),
            ["10-27 02:30+0200", "10-28 02:30+0100"],
        ),
        ("America/New_York", datetime(2024, 11, 2, 12, tzinfo=UTC), ["11-03 02:30-0500", "11-04 02:30-0500"]),
    ],
)
def test_a_daily_slot_happens_exactly_once_per_day_across_dst(
    zone: str, day_before: datetime, expected: list[str]
) -> None:
    assert _local(_slots(DAILY_0230, zone, day_before, 2), zone) == expected


def test_new_york_fall_back_repeated_hour_does_not_repeat_a_0130_slot() -> None:
    slots = _slots("0 30 1 * * *", "America/New_York", datetime(2024, 11, 2, 12, tzinfo=UTC), 2)
    assert _local(slots, "America/New_York") == ["11-03 01:30-0400", "11-04 01:30-0500"]


def test_hourly_slots_are_strictly_increasing_and_unique_through_both_transitions() -> None:
    for start in (datetime(2024, 3, 30, 20, tzinfo=UTC), datetime(2024, 10, 26, 20, tzinfo=UTC)):
        slots = _slots(HOURLY, "Europe/Amsterdam", start, 12)
        assert slots == sorted(set(slots))
    spring = _slots(HOURLY, "Europe/Amsterdam", datetime(2024, 3, 30, 23, tzinfo=UTC), 4)
    assert _local(spring, "Europe/Amsterdam") == [
        "03-31 00:30+0100", "03-31 01:30+0100", "03-31 03:00+0200", "03-31 03:30+0200",
    ]  # fmt: skip
    autumn = _slots(HOURLY, "Europe/Amsterdam", datetime(2024, 10, 26, 23, tzinfo=UTC), 4)
    assert _local(autumn, "Europe/Amsterdam") == [
        "10-27 01:30+0200", "10-27 02:30+0200", "10-27 03:30+0100", "10-27 04:30+0100",
    ]  # fmt: skip


def test_latest_slot_during_the_repeated_hour_is_the_first_occurrence_not_a_new_slot() -> None:
    first_pass = datetime(2024, 10, 27, 0, 40, tzinfo=UTC)  # 02:40 CEST
    second_pass = datetime(2024, 10, 27, 1, 40, tzinfo=UTC)  # 02:40 CET, the same wall time again
    assert latest_slot(DAILY_0230, AMSTERDAM, first_pass) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
    assert latest_slot(DAILY_0230, AMSTERDAM, second_pass) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_latest_slot_is_never_after_now_even_inside_a_gap() -> None:
    just_before_jump = datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC)
    at_jump = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
    assert latest_slot(DAILY_0230, AMSTERDAM, just_before_jump) == datetime(2024, 3, 30, 1, 30, tzinfo=UTC)
    assert latest_slot(DAILY_0230, AMSTERDAM, at_jump) == at_jump
    assert latest_slot(DAILY_0230, NEW_YORK, datetime(2024, 3, 10, 7, 0, tzinfo=UTC)) == datetime(
        2024, 3, 10, 7, 0, tzinfo=UTC
    )


def test_latest_and_next_agree_over_a_year_of_hourly_and_daily_slots() -> None:
    for cron in (DAILY_0230, "0 15 */3 * * *"):
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        while moment < datetime(2025, 1, 1, tzinfo=UTC):
            following = next_slot(cron, AMSTERDAM, moment)
            assert latest_slot(cron, AMSTERDAM, following) == following
            assert latest_slot(cron, AMSTERDAM, following - timedelta(seconds=1)) <= moment
            moment = following


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_slot(DAILY_0230, AMSTERDAM, datetime(2024, 1, 1))


def test_five_fields_are_read_as_second_zero_and_stored_as_six() -> None:
    assert normalize_cron("30 2 * * *") == "0 30 2 * * *"
    assert normalize_cron("  0 0 12 * * mon-fri ") == "0 0 12 * * mon-fri"


@pytest.mark.parametrize(
    "expression",
    ["", "x", "* * * *", "0 0 0 * * * *", "@daily", "0 0 0 L * *", "0 0 0 * * 5#2", "0 0 H * * *",
     "0 61 * * * *", "0 0 0 30 2 *", None, 5],
)  # fmt: skip
def test_invalid_cron_expressions_have_a_stable_code(expression: object) -> None:
    with pytest.raises(InvalidCron) as caught:
        normalize_cron(expression)
    assert caught.value.code == "schedule.invalid_cron"
    assert caught.value.status == 400


def test_hourly_is_the_most_frequent_schedule_allowed() -> None:
    assert normalize_cron("0 0 * * * *") == "0 0 * * * *"


@pytest.mark.parametrize("expression", ["* * * * * *", "0 * * * * *", "0 0,30 * * * *"])
def test_schedules_more_often_than_hourly_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleTooFrequent) as caught:
        normalize_cron(expression)
    assert caught.value.code == "schedule.too_frequent"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "europe amsterdam", None, 1])
def test_invalid_time_zones_have_a_stable_code(name: object) -> None:
    with pytest.raises(InvalidTimeZone) as caught:
        load_zone(name)
    assert caught.value.code == "schedule.invalid_timezone"


def test_slot_id_is_utc_to_the_second() -> None:
    moment = datetime(2024, 3, 31, 3, 0, tzinfo=AMSTERDAM)
    assert slot_id(moment) == "2024-03-31T01:00:00Z"
