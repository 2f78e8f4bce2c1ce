"""The app's configuration: `settings` is the one module that reads it (environment, local.settings.json
in local mode) into a `Settings`; `errors` holds `ConfigurationError`, apart so the modules settings
composes (Graph credentials, say) can raise it without importing settings. Nothing is re-exported.
"""
