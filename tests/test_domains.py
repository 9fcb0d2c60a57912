"""The one list of domains names modules that exist and misses no package."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import eventguard
from eventguard.domains import (
    CORE,
    DOMAINS,
    HOOKS,
    cli_modules,
    handler_modules,
    hook_functions,
    hook_refs,
    model_modules,
    plugin_modules,
    router_refs,
)


def test_every_listed_module_exists() -> None:
    for module_name in [*model_modules(), *cli_modules(), *handler_modules(), *plugin_modules()]:
        assert importlib.util.find_spec(module_name) is not None, module_name
    for module_name, attribute in router_refs():
        assert hasattr(importlib.import_module(module_name), attribute), (module_name, attribute)
    for domain in DOMAINS:
        assert {hook for hook, _ in domain.hooks} <= set(HOOKS), domain.name
    for hook in HOOKS:
        assert all(callable(function) for function in hook_functions(hook)), hook
        assert hook_refs(hook), f"nothing implements {hook}"


def test_every_package_on_disk_is_listed() -> None:
    root = Path(eventguard.__file__).parent
    on_disk = {path.parent.name for path in root.glob("*/__init__.py")}
    listed = {domain.name for domain in DOMAINS}
    assert len(listed) == len(DOMAINS), "a domain is listed twice"
    assert on_disk == listed | set(CORE)
    assert not listed & set(CORE)


def test_parts_keep_their_order() -> None:
    refs = router_refs()
    assert refs.index(("eventguard.alerts.intake_api", "router")) < refs.index(
        ("eventguard.alerts.api", "router")
    )
    assert plugin_modules()[0].startswith("eventguard.alerts.formats.")
