"""Onboarding of managed tenants (docs/architecture.md#onboarding): register a tenant (by ID or
verified domain), the admin consent link, verification of consent, permissions and reachability,
and the audited changes of tenants, memberships and group roles that the API makes.

`permissions` says what each capability needs; `resolve` turns a domain into a tenant ID through
Entra's OpenID configuration; `verify` checks a tenant; `requests` parses the API's bodies;
`changes` applies and audits every change. Nothing is re-exported.
"""
