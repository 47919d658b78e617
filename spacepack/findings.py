"""Every finding code `check` can emit, gathered from the modules that emit them.

Each module that emits findings keeps its own `FINDING_CODES` table next to
the code that raises them; this module only collects them, for the README's
troubleshooting table (a test keeps the two in step) and for tools.
"""

from __future__ import annotations

import importlib
import pkgutil


def all_finding_codes() -> dict[str, str]:
    """Code -> one-line meaning, for every finding `check` can emit, sorted by code."""
    import spacepack.check as check_package

    modules = [check_package] + [
        importlib.import_module(f"spacepack.check.{info.name}") for info in pkgutil.iter_modules(check_package.__path__)
    ]
    codes: dict[str, str] = {}
    for module in modules:
        codes.update(getattr(module, "FINDING_CODES", {}))
    return dict(sorted(codes.items()))
