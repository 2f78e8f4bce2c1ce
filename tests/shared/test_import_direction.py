"""Auth builds on the tenant registry, never the reverse, so the two cannot import each other again.

`shared.auth` (memberships, the authorizer, the route gate) imports `shared.tenants`; the registry
imports nothing of auth, directly or through another module of `shared`, at module level or inside
a function. Pure: the modules are imported and their source read with `ast`, no storage touched.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType


def _modules(name: str) -> list[ModuleType]:
    """The module `name`, or the package and every module under it."""
    module = importlib.import_module(name)
    found = [module]
    if hasattr(module, "__path__"):
        found += [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(module.__path__, prefix=f"{name}.")
        ]
    return found


def _imports(module: ModuleType) -> set[str]:
    """Every `shared` module the source of `module` imports, anywhere in it, with the packages whose
    `__init__` that import runs."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), module.__package__)
            named.add(base)
            named.update(f"{base}.{alias.name}" for alias in node.names)
    modules: set[str] = set()
    for name in named:
        if name.split(".")[0] != "shared" or not _is_module(name):
            continue
        parts = name.split(".")
        modules.update(".".join(parts[:end]) for end in range(2, len(parts) + 1))
    return modules


def _is_module(name: str) -> bool:
    """False for a name imported from a module (`shared.tenants.Tenant`)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _reachable(start: str) -> dict[str, str]:
    """The `shared` modules `start` imports, transitively, each with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [module.__name__ for module in _modules(start)]
    while todo:
        current = todo.pop()
        for name in _imports(importlib.import_module(current)):
            if name not in seen and name != start:
                seen[name] = current
                todo.append(name)
    return seen


def _is_auth(name: str) -> bool:
    return name == "shared.auth" or name.startswith("shared.auth.")


def test_the_tenant_registry_imports_nothing_of_auth() -> None:
    reachable = _reachable("shared.tenants")
    offenders = {name: importer for name, importer in reachable.items() if _is_auth(name)}
    assert offenders == {}, f"shared.tenants reaches shared.auth (module: importer): {offenders}"
    assert "shared.graph.credentials" in reachable, "the walk follows the registry's real imports"


def test_auth_is_the_side_that_imports_the_registry() -> None:
    importers = {
        module.__name__ for module in _modules("shared.auth") if "shared.tenants" in _imports(module)
    }
    assert {"shared.auth.memberships", "shared.auth.authorize", "shared.auth.gate"} <= importers
