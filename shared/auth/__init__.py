"""Who the caller is and what they may do on a tenant (docs/architecture.md#security-model).

`tokens` and `jwks` validate bearer tokens into a `principal`; `roles` orders the roles;
`memberships` stores who holds which role on which tenant; `authorize` decides and audits refusals;
`gate` is the decorator every HTTP route wears. Auth builds on the tenant registry
(`shared.tenants`), never the reverse: tests/shared/test_import_direction.py keeps it so.
Nothing is re-exported.
"""
