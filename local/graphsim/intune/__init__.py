"""graphsim's Intune object model: every object type of docs/graph-intune.md#object-types, its semantics,
queries, write validation and seed data. Pure Python, no I/O: the server calls `GraphModel.handle`.

Raw object shape for the admin calls (`put_raw`, `dump_tenant`): an object exactly as a Graph GET
with `$expand` of its sub-resources returns it, minus `@odata.context`. E.g. a settings catalog
policy carries `settings` (list of `{id, settingInstance}`) and `assignments`; a group policy
configuration carries `definitionValues`, each with `definition` (the full shared definition) and
`presentationValues`, each with `presentation`; a compliance policy carries
`scheduledActionsForRule` with `scheduledActionConfigurations`; a notification template carries
`localizedNotificationMessages`. App protection objects go to `deviceAppManagement/managedAppPolicies`
with an `@odata.type` that picks their typed collection.
"""

from .errors import AdminInputError
from .model import GraphModel

__all__ = ["AdminInputError", "GraphModel"]
