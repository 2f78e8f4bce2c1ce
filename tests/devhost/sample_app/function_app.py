"""The devhost tests' own Function App: one blueprint per area, like the product app."""

import azure.durable_functions as df
import azure.functions as func
from sample_durable import bp as durable_bp
from sample_http import bp as http_bp
from sample_timers import bp as timers_bp

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(http_bp)
app.register_functions(durable_bp)
app.register_functions(timers_bp)
