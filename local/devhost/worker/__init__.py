"""The devhost's worker process: runs the Functions Python worker library (`azure_functions_runtime`).

The devhost starts it as a child process, as the Functions host starts its language worker, and sends it
the protocol's requests; the library indexes, loads and invokes the app's functions and converts their
bindings. The worker process holds nothing of its own but the dispatch and the log forwarding.
"""
