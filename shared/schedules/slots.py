"""NCRONTAB expressions and the slots they define in a time zone, DST-safe.

A slot is a *wall-clock* time in the schedule's zone that matches the expression, turned into
one UTC instant:

- an ambiguous wall time (clocks go back, the hour repeats) is its first occurrence, so a daily
  02:30 backup runs once on that day, not twice; the repeated hour adds no slots;
- a wall time that does not exist (clocks go forward) is the instant the clocks jump, so a daily
  02:30 backup still runs that day; several such wall times collapse into that one instant.

This mapping is monotonic (a later wall time never gives an earlier instant), which is what lets
"latest slot at or before now" and "next slot after" be computed by walking wall times.
The UTC instant is the slot's identity: it is what the dedupe key and `last_slot` hold.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from shared.schedules.errors import InvalidCron, InvalidTimeZone, ScheduleTooFrequent

MIN_INTERVAL = timedelta(hours=1)
"""Backups of a tenant closer together than this spend Graph's throttle budget for nothing."""

_FOLD_MARGIN = timedelta(hours=3)
"""Longer than any DST shift in the tz database, so walking wall times from here cannot miss a slot."""
_NAMES = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|sun|mon|tue|wed|thu|fri|sat")
_FIELD = re.compile(r"^[0-9*,/-]+$")
_FREQUENCY_SAMPLE = 200
_REFERENCE = datetime(2001, 1, 1)
_CRON_HELP = (
    "Use NCRONTAB with six fields (second minute hour day month day-of-week), e.g. `0 30 2 * * *` "
    "for 02:30 every day; five fields (minute first) are read as second 0."
)


def normalize_cron(expression: object) -> str:
    """The six-field form of a valid expression; InvalidCron / ScheduleTooFrequent otherwise.

    Five fields are accepted (what people paste from crontab) and stored with a leading `0`, so
    what is stored and shown is always the six-field NCRONTAB Azure Functions timers use.
    Only numbers, `* , / -` and month/day names are allowed: croniter's extensions (`L`, `#`, `H`,
    `@daily`) are not NCRONTAB and would not mean the same thing to a reader who knows Azure.
    """
    if not isinstance(expression, str):
        raise InvalidCron("`cron` must be a string. " + _CRON_HELP)
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6 or not all(_FIELD.match(_NAMES.sub("0", f.lower())) for f in fields):
        raise InvalidCron(f"`{expression[:100]}` is not an NCRONTAB expression. " + _CRON_HELP)
    normalized = " ".join(fields)
    try:
        walk = croniter(normalized, _REFERENCE, second_at_beginning=True)
        times = [walk.get_next(datetime) for _ in range(_FREQUENCY_SAMPLE)]
    except (CroniterError, ValueError, KeyError) as exc:
        detail = f"`{expression[:100]}` is not a valid NCRONTAB expression ({exc}). "
        raise InvalidCron(detail + _CRON_HELP) from exc
    if any(later - earlier < MIN_INTERVAL for earlier, later in itertools.pairwise(times)):
        raise ScheduleTooFrequent(
            f"`{expression[:100]}` starts backups less than {MIN_INTERVAL} apart; "
            "use at most one slot per hour, e.g. `0 0 */4 * * *`."
        )
    return normalized


def load_zone(name: object) -> ZoneInfo:
    """The IANA zone `name` (e.g. `Europe/Amsterdam`, `UTC`); InvalidTimeZone otherwise."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidTimeZone("`timeZone` must be an IANA time zone name such as `Europe/Amsterdam`.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeZone(
            f"`{name}` is not an IANA time zone; use a name such as `Europe/Amsterdam` or `UTC`."
        ) from exc


def slot_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone` (see the module docstring for DST)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    return _jump_instant(wall, zone)


def _jump_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """For a wall time inside a gap: the first instant on the far side of it (binary search, 1 s)."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("Slot computations need timezone-aware instants (use datetime.now(UTC)).")
    return moment.astimezone(zone).replace(tzinfo=None)


def latest_slot(cron: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The latest slot at or before `now` (UTC)."""
    walk = croniter(cron, _wall(now, zone) + _FOLD_MARGIN, second_at_beginning=True)
    while True:
        instant = slot_instant(walk.get_prev(datetime), zone)
        if instant <= now:
            return instant


def next_slot(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first slot strictly after `after` (UTC)."""
    walk = croniter(cron, _wall(after, zone), second_at_beginning=True)
    while True:
        instant = slot_instant(walk.get_next(datetime), zone)
        if instant > after:
            return instant


def slot_id(slot: datetime) -> str:
    """The slot as it appears in dedupe keys and APIs: UTC ISO 8601 to the second, `Z` suffix."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
