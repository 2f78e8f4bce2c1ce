"""Activity functions: thin adapters from the durable engine into `shared/`.

Each takes and returns a record of `shared.jobs.messages` (the worker hands the activity the record the
orchestrator sent, rebuilt by the Durable Functions SDK from its custom-object envelope) and is
registered under its `Activity` name.
"""
