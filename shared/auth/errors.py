"""Authentication and authorization errors: 401 and 403 problems with stable codes.

Callers branch on `code`; the detail says what to fix but never echoes the token.
"""

from __future__ import annotations

from shared.http.problems import ProblemError


class AuthError(ProblemError):
    """Base of the errors `shared.auth` raises."""


class Unauthenticated(AuthError):
    """No usable bearer token: 401, with `WWW-Authenticate` so clients know to fetch one."""

    status = 401
    code = "auth.invalid_token"
    title = "The bearer token is missing or not valid."


class MissingToken(Unauthenticated):
    code = "auth.missing_token"
    title = "The request carries no bearer token."


class InvalidToken(Unauthenticated):
    """Malformed, badly signed, signed by an unknown key, with a refused algorithm or missing claims."""


class TokenExpired(Unauthenticated):
    code = "auth.token_expired"
    title = "The bearer token has expired."


class TokenNotYetValid(Unauthenticated):
    code = "auth.token_not_yet_valid"
    title = "The bearer token is not valid yet."


class WrongAudience(Unauthenticated):
    code = "auth.wrong_audience"
    title = "The bearer token was issued for another API."


class WrongIssuer(Unauthenticated):
    code = "auth.wrong_issuer"
    title = "The bearer token comes from an issuer this API does not trust."


class SigningKeysUnavailable(AuthError):
    """The JWKS could not be fetched and no keys are cached: our fault, not the caller's."""

    status = 503
    code = "auth.signing_keys_unavailable"
    title = "Tokens cannot be checked right now."


class Forbidden(AuthError):
    """An authenticated caller without the needed role on the tenant: 403 for every tenant-scoped route."""

    status = 403
    code = "auth.forbidden"
    title = "The caller has no role on this tenant."


class InsufficientRole(Forbidden):
    code = "auth.insufficient_role"
    title = "The caller's role on this tenant does not allow this."


class GroupsOverage(Forbidden):
    """No direct role, and the token carries a groups overage claim instead of the groups."""

    code = "auth.groups_overage"
    title = "The token lists no groups (overage claim), so group roles cannot be checked."


class PlatformAdminRequired(Forbidden):
    code = "auth.platform_admin_required"
    title = "This needs the platform role msp.admin (an app role of the API's app registration)."
