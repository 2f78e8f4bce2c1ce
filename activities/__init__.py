"""Activity functions: thin adapters from the durable engine into `shared/`."""

import typing

JsonObject = typing.Dict[str, typing.Any]  # noqa: UP006 - the form the worker accepts (see below)
"""What an activity takes and returns: a JSON object, as the activityTrigger converter decodes it.

Spelled with `typing.Dict` on purpose: the Python worker (`azure_functions_runtime`) rejects a parameter
annotated with a builtin generic such as `dict[str, Any]` ("invalid non-type annotation") and with it the
whole app; it accepts a class or a `typing` generic.
"""
