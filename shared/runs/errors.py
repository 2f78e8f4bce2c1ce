"""Typed run errors with stable codes: problems (shared.http.problems) the HTTP layer answers directly."""

from __future__ import annotations

from shared.http.problems import ProblemError


class RunError(ProblemError):
    """Base of the run machinery's errors."""

    status = 500
    code = "run.error"
    title = "The run could not be updated."


class RunNotFound(RunError):
    """No run with this ID exists in this tenant (a 404 once the caller's role on the tenant is checked)."""

    status = 404
    code = "run.not_found"
    title = "The run was not found."


class InvalidRunTransition(RunError):
    """The requested status change is not allowed from the run's current status."""

    status = 409
    code = "run.invalid_transition"
    title = "The run cannot change to this status."


class RunContention(RunError):
    """Too many concurrent writers changed the same run or dedupe lock; the caller may retry."""

    status = 503
    code = "run.contention"
    title = "The run is being changed by many requests at once; retry."
