"""HTTP vocabulary every route shares: problem+json errors, request parameters, JSON answers.

`problems` holds `ProblemError`, the base of every error a caller can cause (domain packages raise
its subclasses), and its `application/problem+json` answer; `request` parses query and path
parameters; `response` writes JSON bodies and pages. Nothing here knows a domain package, so
every layer may import it; this `__init__` re-exports nothing, so importing `problems` pulls
in nothing else.

The route gate (bearer token, tenant role, audit of refusals) stays in `shared.auth.gate`: it is
auth's HTTP face, built from auth's token validator and authorizer and mapping auth's own error
types to `WWW-Authenticate` headers. Here it would make this package depend on auth, tenants,
settings and storage, and auth (whose errors are problems) would depend on it in turn.
"""
