"""User-facing errors of the Intune catalog and capture, with stable codes (see `shared.http.problems`)."""

from __future__ import annotations

from shared.http.problems import ProblemError


class UnknownPolicyType(ProblemError):
    """The type key in a route is not one the catalog knows.

    404, not 400: the type is a path segment (`/policies/{type}/...`), so an unknown one names a
    resource that does not exist, as an unknown policy ID does.
    """

    status = 404
    code = "policy.unknown_type"
    title = "There is no such policy type."


class VersionNotFound(ProblemError):
    """No version with this ID in the tenant, or it belongs to another policy than the route names."""

    status = 404
    code = "version.not_found"
    title = "There is no such policy version."
