"""The API as a contract: the bodies the routes take and answer, the declaration each route carries
next to its `@bp.route`, and the documents built from both.

`models` holds the pydantic models of every request and response body (camelCase, the same names the
routes write); `params` the path and query parameters, each described once; `operations` the
`@operation(...)` decorator a route wears to say what it answers; `openapi` builds the OpenAPI 3.1
document from the app's registered HTTP functions and their declarations (`GET /api/openapi.json`
serves it), and `swagger` the Swagger 2.0 definition of the Power Automate custom connector from that
document. Nothing here is written by hand beside the code: a route without a declaration fails the
build of the document, so it cannot drift.
"""
