"""An app the Python worker refuses to load: an activity parameter annotated with a builtin generic.

The worker accepts a class or a `typing` generic, not `dict[str, Any]`, and one rejected function stops the
whole app from loading, as on Azure.
"""

from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping")
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@app.activity_trigger(input_name="payload")
def echo(payload: dict[str, Any]) -> dict[str, Any]:
    return payload
