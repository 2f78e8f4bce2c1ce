"""The TenantAtlas Function App: creates the app and registers one blueprint per area."""

import azure.durable_functions as df
import azure.functions as func

from triggers.health import bp as health_bp

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(health_bp)
