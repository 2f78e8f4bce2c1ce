"""The domain and its adapters, importable without the Functions host. What each part owns:

api/              the API contract: body models, parameters, route declarations, the documents built from them
auth/             callers: bearer tokens, principals, roles, memberships, group roles, authorizer, gate
backups/          backup sets and manifests, a running backup's work files, the policy inventory
config/           the app's settings (the one reader of configuration) and ConfigurationError
graph/            the Microsoft Graph client, its budget shared by every instance, app credentials
                  and their sources, the client of one tenant
http/             problem+json errors, query and path parameters, JSON answers: shared by every route
intune/           the catalog of Intune object types, their capture, policy versions and diffs
jobs/             the steps background jobs run, and the requests that start them
onboarding/       registering and verifying tenants, the consent link, audited membership changes
restore/          restore preview and live restore, and the engine that writes one item
runs/             run records, dedupe, progress, item results, run access and the status URL
schedules/        backup schedules, due slots, retention, schedule access
storage/          Table and Blob clients, keys, paging, content-addressed blobs, table names
audit.py          the append-only audit trail per tenant
console.py        the console's built files as the app serves them: paths, cache policy, CSP
health.py         the dependency checks behind GET /api/health
notifications.py  notifications for the principal who requested a run
redact.py         the one redaction of secrets in errors, audit details and logs
services.py       the worker's repositories, built once from settings (the composition root)
tenants.py        the registry of managed tenants (auth builds on it, never the reverse)

The modules at the top are one concern each that belongs to no single area; everything that
belongs to an area lives in that area's package. Where a package re-exports (graph, intune, runs,
schedules, storage), it leaves out its modules built on auth, settings or the worker's services,
so importing the package never pulls those in.
"""
