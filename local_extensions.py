"""Jinja extensions for the template: its filters (step parsing is shared with the pre-generation hook),
and a sandbox for everything cookiecutter renders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment, safe_range


def _load_pre_gen_hook() -> ModuleType:
    path = Path(__file__).parent / "hooks" / "pre_gen_project.py"
    spec = importlib.util.spec_from_file_location("pre_gen_project", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_pre_gen_hook = _load_pre_gen_hook()


def pascal(snake_name: str) -> str:
    """``reserve_inventory`` -> ``ReserveInventory``."""
    return "".join(part.capitalize() for part in snake_name.split("_"))


def saga_steps(text: str) -> list[dict[str, str | None]]:
    """The ``saga_steps`` option as a list of ``{"name", "compensation"}`` mappings."""
    return [{"name": step.name, "compensation": step.compensation} for step in _pre_gen_hook.parse_saga_steps(text)]


class SagaFilters(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["pascal"] = pascal
        environment.filters["saga_steps"] = saga_steps


class Sandbox(Extension):
    """Renders every template and option value in Jinja's sandbox.

    Cookiecutter renders each option value as Jinja before any hook can look at it, in an unsandboxed
    environment, so a value such as ``{{ cycler.__init__.__globals__.os.popen(...) }}`` would run a
    command. Cookiecutter offers no setting for a sandbox; this extension gives the environment it
    built the sandbox's class and state, so such access raises jinja2's SecurityError instead.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        base = type(environment)
        if not environment.sandboxed:
            environment.__class__ = type(f"Sandboxed{base.__name__}", (SandboxedEnvironment, base), {})
            # What SandboxedEnvironment.__init__ would have set.
            environment.globals["range"] = safe_range
            environment.binop_table = SandboxedEnvironment.default_binop_table.copy()  # type: ignore[attr-defined]
            environment.unop_table = SandboxedEnvironment.default_unop_table.copy()  # type: ignore[attr-defined]
