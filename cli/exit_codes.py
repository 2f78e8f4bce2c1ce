"""The exit codes of `tenantatlas`: stable, so scripts can branch on them (also in docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    RUN_FAILED = 1
    """A run ended failed or cancelled."""
    USAGE = 2
    """Bad options or arguments (Click's own code)."""
    NOT_SIGNED_IN = 3
    """No token, or the API refused it (401): run `tenantatlas login`."""
    FORBIDDEN = 4
    """The caller's role does not allow this on the tenant (403)."""
    NOT_FOUND = 5
    """No such tenant, run, backup set or version (404), or a tenant name that matches none."""
    REFUSED = 6
    """The API refused the request as it stands (400, 409, 412, 422, 428): the message says why."""
    UNAVAILABLE = 7
    """The API failed (5xx) or could not be reached."""
    PARTIAL = 8
    """A run partially succeeded: some items failed."""
    TIMED_OUT = 9
    """`--wait` gave up before the runs ended (they go on)."""
    ABORTED = 10
    """A live restore was not confirmed."""


def for_status(status: int) -> ExitCode:
    """The exit code of a refused HTTP request."""
    if status == 401:
        return ExitCode.NOT_SIGNED_IN
    if status == 403:
        return ExitCode.FORBIDDEN
    if status == 404:
        return ExitCode.NOT_FOUND
    if 400 <= status < 500:
        return ExitCode.REFUSED
    return ExitCode.UNAVAILABLE


def for_runs(statuses: list[str]) -> ExitCode:
    """The worst outcome of ended runs: failed or cancelled, then partial, else OK."""
    if any(status in ("failed", "cancelled") for status in statuses):
        return ExitCode.RUN_FAILED
    if any(status == "partially_succeeded" for status in statuses):
        return ExitCode.PARTIAL
    return ExitCode.OK
