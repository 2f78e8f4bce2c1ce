"""docs/deploy.md is followed word for word, so what it makes must fit the app: the permissions it
requests meet every capability's needs, and it sets every parameter azd must give."""

from __future__ import annotations

import json
import re

from shared.onboarding.permissions import assess
from tests.deploy.bicep import BicepFile
from tests.deploy.infra import INFRA

GUIDE = INFRA.parent / "docs" / "deploy.md"


def test_the_guides_app_registration_requests_what_every_capability_needs() -> None:
    loop = re.search(r"for permission in (.*?); do", GUIDE.read_text(), re.DOTALL)
    assert loop is not None, "docs/deploy.md lists the permissions in a `for permission in ...; do` loop"
    requested = frozenset(loop.group(1).replace("\\", " ").split())
    capabilities, missing = assess(requested)
    assert missing == (), f"a full consent would still be permissions_missing: {missing}"
    assert all(capabilities.values())


def test_the_guide_sets_every_parameter_azd_must_give() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    required = {
        name for name, param in BicepFile(INFRA / "main.bicep").params().items() if param.default is None
    }
    variables = {
        re.fullmatch(r"\$\{(\w+)\}", parameters[name]["value"]).group(1)  # type: ignore[union-attr]
        for name in required
        if name not in ("environmentName", "location")
    }
    set_in_guide = set(re.findall(r"^azd env set (\w+) ", GUIDE.read_text(), re.MULTILINE))
    assert variables <= set_in_guide, f"docs/deploy.md does not set {sorted(variables - set_in_guide)}"
