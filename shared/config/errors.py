"""Configuration errors, apart from `shared.config.settings` so the modules it composes can raise them too."""

from __future__ import annotations


class ConfigurationError(Exception):
    """A setting is missing or invalid; `setting` names it, `code` is stable."""

    code = "config.invalid"

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


class MissingSetting(ConfigurationError):
    code = "config.missing"
