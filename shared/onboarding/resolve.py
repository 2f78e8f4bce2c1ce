"""A customer tenant named by its ID or by a verified domain: domains are resolved through Entra's
OpenID configuration (`{login}/{domain}/v2.0/.well-known/openid-configuration`), whose `issuer`
carries the tenant ID. No token is needed: the document is public."""

from __future__ import annotations

import re
import uuid

import requests

from shared.config.settings import Settings
from shared.graph.auth import new_session
from shared.graph.config import Timeouts
from shared.http.problems import ProblemError

_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_ISSUER_TENANT = re.compile(r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/")
_TIMEOUTS = Timeouts(connect=5.0, read=15.0)


class InvalidTenantName(ProblemError):
    status = 400
    code = "tenant.invalid_id"
    title = "A tenant is named by its ID (a GUID) or a verified domain (contoso.onmicrosoft.com)."


class DomainNotFound(ProblemError):
    status = 422
    code = "tenant.domain_not_found"
    title = "Entra knows no tenant with this domain."


class ResolutionUnavailable(ProblemError):
    status = 503
    code = "tenant.resolution_unavailable"
    title = "Entra's OpenID configuration could not be read; try again."


def resolve_tenant_id(settings: Settings, cloud: str, value: str) -> str:
    """The tenant ID `value` names: itself when it is a GUID, else the tenant of that verified domain."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        pass
    domain = value.strip().lower() if isinstance(value, str) else ""
    if not _DOMAIN.fullmatch(domain):
        raise InvalidTenantName(f"{str(value)[:80]!r} is neither a GUID nor a domain name.")
    login = settings.graph.cloud(cloud).login_base_url
    url = f"{login}/{domain}/v2.0/.well-known/openid-configuration"
    with new_session(settings.graph.ca_bundle, _TIMEOUTS) as session:
        try:
            answer = session.get(url)
        except requests.RequestException as exc:
            raise ResolutionUnavailable(f"{login} did not answer ({type(exc).__name__}).") from None
    if answer.status_code in (400, 404):
        raise DomainNotFound(f"No Entra tenant has the verified domain {domain!r} in the {cloud} cloud.")
    if answer.status_code != 200:
        raise ResolutionUnavailable(f"{login} answered {answer.status_code}.")
    try:
        issuer = str(answer.json()["issuer"])
    except (ValueError, KeyError, TypeError):
        raise ResolutionUnavailable("The OpenID configuration has no issuer.") from None
    match = _ISSUER_TENANT.search(issuer + "/")
    if match is None:
        raise ResolutionUnavailable("The OpenID configuration's issuer names no tenant ID.")
    return match.group(1)
