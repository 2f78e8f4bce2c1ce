"""`tenantatlas`, the operator's command line: sign in, list tenants, back up with live progress, follow
runs, compare versions, preview and run restores, from a terminal or a script.

`main` holds the commands (Click); `api` the HTTP client and its errors (problem+json to exit codes);
`session` where the API is and how a token is had (Entra device code through MSAL, or the local dev
token); `follow` the live progress of runs; `exit_codes` the codes scripts can rely on.
"""
