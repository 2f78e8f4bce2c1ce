"""The TenantAtlas Function App: creates the app and registers one blueprint per area.

Log redaction is installed first: it is a property of the whole process, not of one area.
"""

import logging

import azure.durable_functions as df
import azure.functions as func

from activities.backup import bp as backup_activities_bp
from activities.capture import bp as capture_activities_bp
from activities.fleet import bp as fleet_activities_bp
from activities.restore import bp as restore_activities_bp
from activities.runs import bp as run_activities_bp
from orchestrators.capture_policy_snapshot import bp as capture_orchestrator_bp
from orchestrators.fleet_run import bp as fleet_orchestrator_bp
from orchestrators.restore import bp as restore_orchestrator_bp
from orchestrators.tenant_backup import bp as backup_orchestrator_bp
from shared.redact import install_log_redaction
from triggers.audit import bp as audit_bp
from triggers.backups import bp as backups_bp
from triggers.console import bp as console_bp
from triggers.fleet import bp as fleet_bp
from triggers.health import bp as health_bp
from triggers.members import bp as members_bp
from triggers.notifications import bp as notifications_bp
from triggers.openapi import bp as openapi_bp
from triggers.policies import bp as policies_bp
from triggers.policy_diff import bp as policy_diff_bp
from triggers.reconcile import bp as reconcile_bp
from triggers.restores import bp as restores_bp
from triggers.runs import bp as runs_bp
from triggers.schedule_timer import bp as schedule_timer_bp
from triggers.schedules import bp as schedules_bp
from triggers.storage_sweep import bp as storage_sweep_bp
from triggers.tenant_verify_timer import bp as tenant_verify_timer_bp
from triggers.tenants import bp as tenants_bp
from triggers.webhook_timer import bp as webhook_timer_bp
from triggers.webhooks import bp as webhooks_bp

install_log_redaction()
# The Azure SDKs log every storage and Graph-budget request and response at INFO: two records per
# round trip, sent from the worker to the host (and on Azure to Application Insights). Warnings stay.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)

BLUEPRINTS = (
    health_bp,
    openapi_bp,
    tenants_bp,
    runs_bp,
    audit_bp,
    notifications_bp,
    policies_bp,
    policy_diff_bp,
    backups_bp,
    schedules_bp,
    schedule_timer_bp,
    reconcile_bp,
    storage_sweep_bp,
    capture_orchestrator_bp,
    run_activities_bp,
    capture_activities_bp,
    backup_orchestrator_bp,
    backup_activities_bp,
    restores_bp,
    restore_orchestrator_bp,
    restore_activities_bp,
    members_bp,
    tenant_verify_timer_bp,
    webhooks_bp,
    webhook_timer_bp,
    fleet_bp,
    fleet_orchestrator_bp,
    fleet_activities_bp,
    console_bp,
)
"""Every area of the app; the OpenAPI document (triggers/openapi.py) is built from their HTTP routes."""

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in BLUEPRINTS:
    app.register_functions(blueprint)
