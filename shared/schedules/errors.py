"""Typed schedule errors with stable codes: problems (shared.http.problems) the HTTP layer answers directly.

Validation runs before any write, so every one of these leaves storage as it was.
"""

from __future__ import annotations

from shared.http.problems import ProblemError


class ScheduleError(ProblemError):
    """Base of the schedule errors: a request the caller can fix."""

    status = 400
    code = "schedule.invalid"
    title = "The schedule is invalid."


class InvalidCron(ScheduleError):
    code = "schedule.invalid_cron"
    title = "The schedule's NCRONTAB expression is invalid."


class ScheduleTooFrequent(ScheduleError):
    code = "schedule.too_frequent"
    title = "The schedule would start backups too often."


class InvalidTimeZone(ScheduleError):
    code = "schedule.invalid_timezone"
    title = "The schedule's time zone is not an IANA time zone."


class InvalidRetention(ScheduleError):
    code = "schedule.invalid_retention"
    title = "The schedule's retention is invalid."


class InvalidScheduleField(ScheduleError):
    """A field other than cron, time zone and retention is missing, unknown or of the wrong type."""

    code = "schedule.invalid_field"
    title = "The schedule has an invalid field."


class ScheduleNotFound(ScheduleError):
    status = 404
    code = "schedule.not_found"
    title = "The schedule was not found."


class ScheduleConflict(ScheduleError):
    """The schedule changed since the caller read it (ETag mismatch): read it again, then retry."""

    status = 412
    code = "schedule.conflict"
    title = "The schedule was changed by someone else."


SPEC_PROBLEMS: tuple[type[ScheduleError], ...] = (
    InvalidCron,
    ScheduleTooFrequent,
    InvalidTimeZone,
    InvalidRetention,
    InvalidScheduleField,
)
"""What a schedule in a request body can be refused with."""
