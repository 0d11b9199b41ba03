"""Jinja extensions for the template: its filters (option checks are shared with the pre-generation hook),
and a sandbox for everything cookiecutter renders."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from jinja2 import Environment, Template
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment, safe_range

# Resolved on import, which cookiecutter does before it changes directory: its _repo_dir may be relative.
TEMPLATE_DIRECTORY = Path(__file__).resolve().parent


@functools.cache
def load_hook(name: str) -> ModuleType:
    """``hooks/<name>.py`` as a module: the template's one loader by path, used by these filters and the tests.

    A hook is a script cookiecutter renders, not a package module, so it is imported by path; it is valid
    Python before rendering because the options arrive through a Jinja expression inside a string. The
    pre-generation hook is the single definition of what a valid option is.
    """
    path = TEMPLATE_DIRECTORY / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_pre_gen_hook = load_hook("pre_gen_project")


def pascal(snake_name: str) -> str:
    """``reserve_inventory`` -> ``ReserveInventory``."""
    return "".join(part.capitalize() for part in snake_name.split("_"))


def saga_steps(text: str) -> list[dict[str, str | None]]:
    """The ``saga_steps`` option as a list of ``{"name", "compensation"}`` mappings."""
    return [{"name": step.name, "compensation": step.compensation} for step in _pre_gen_hook.parse_saga_steps(text)]


def retriable_steps(text: str) -> list[str]:
    """The steps of the ``saga_steps`` option that are retriable and never fail the saga: those without a
    compensation after the last compensatable step (none when no step is compensatable: every step can then fail
    the saga). The generated ``infra.saga_model.retriable_steps`` applies the same rule to the step list.
    """
    steps = _pre_gen_hook.parse_saga_steps(text)
    compensatable = [index for index, step in enumerate(steps) if step.compensation]
    if not compensatable:
        return []
    return [step.name for step in steps[compensatable[-1] + 1 :] if not step.compensation]


# Plurals taking "-es": the endings English sounds as a separate syllable (box -> boxes, wish -> wishes).
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


def plural(singular: str) -> str:
    """The default plural of a snake_case name, by the regular English rules, inflecting the last word.

    ``company`` -> ``companies``, ``box`` -> ``boxes``, ``key`` -> ``keys``, ``line_item`` -> ``line_items``.
    Irregular plurals (``person`` -> ``people``) are the user's to give: the ``domain_plural`` option
    overrides this default. Any text is accepted; the pre-generation hook validates the result.
    """
    if singular.endswith(_SIBILANT_ENDINGS):
        return f"{singular}es"
    # A consonant before the "y" (company, entry) makes "-ies"; a vowel (key, day) keeps the "y".
    if len(singular) > 1 and singular.endswith("y") and singular[-2] not in "aeiou":
        return f"{singular[:-1]}ies"
    return f"{singular}s"


def kebab(snake_name: str) -> str:
    """``payment_intents`` -> ``payment-intents``: how a name appears in a URL path."""
    return snake_name.replace("_", "-")


# Never a valid slug (a valid one has no underscore), so it cannot clash with a real project's directory.
INVALID_SLUG_DIRECTORY = "invalid_project_slug"


def project_directory(slug: str) -> str:
    """The name of the directory cookiecutter creates for the project: the slug, once it is valid.

    Cookiecutter creates that directory before ``pre_gen_project`` runs, so an invalid slug such as
    ``../../elsewhere`` or a 300-character name would reach the file system before the hook could
    refuse it. A stand-in name keeps the directory inside the output directory; the hook then refuses
    the slug with its usual message and cookiecutter removes the directory again.
    """
    return slug if _pre_gen_hook.is_valid_slug(slug) else INVALID_SLUG_DIRECTORY


def import_afresh_next_time() -> None:
    """Make the next Jinja environment import this module again, from the template as it is on disk then.

    ``cruft update`` renders the template at the project's commit and then at the new one in one process, from one
    checkout it moves between them: a cached module would render the new commit with the old commit's filters (a
    filter added there fails the update; a changed one is silently left out of it). The environment built now keeps
    the functions it was given.
    """
    sys.modules.pop(__name__, None)


class TemplateFilters(Extension):
    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        import_afresh_next_time()
        environment.filters["pascal"] = pascal
        environment.filters["saga_steps"] = saga_steps
        environment.filters["retriable_steps"] = retriable_steps
        environment.filters["project_directory"] = project_directory
        environment.filters["plural"] = plural
        environment.filters["kebab"] = kebab
        # The pre-generation hook's one way to find the template's own modules, wherever it was rendered from.
        environment.globals["template_directory"] = str(TEMPLATE_DIRECTORY)


class InvalidJinjaInValue(UndefinedError):
    """A value that does not parse as a Jinja template.

    It derives from UndefinedError only because that is the error cookiecutter reports by the option's
    name ("Unable to render variable 'project_name'") instead of with a traceback.
    """


class _SandboxedRendering:
    """Methods the sandboxed environment class adds to cookiecutter's own."""

    def from_string(self, source: Any, *args: Any, **kwargs: Any) -> Template:
        try:
            return super().from_string(source, *args, **kwargs)  # type: ignore[misc, no-any-return]
        except TemplateSyntaxError as error:
            raise InvalidJinjaInValue(
                f"{source!r} is not valid Jinja ({error.message}). Cookiecutter renders every option value as a"
                " template: wrap literal braces in {% raw %}...{% endraw %}"
            ) from error


class Sandbox(Extension):
    """Renders every template and option value in Jinja's sandbox.

    Cookiecutter renders each option value as Jinja before any hook can look at it, in an unsandboxed
    environment, so a value such as ``{{ cycler.__init__.__globals__.os.popen(...) }}`` would run a
    command. Cookiecutter offers no setting for a sandbox; this extension gives the environment it
    built the sandbox's class and state, so such access raises jinja2's SecurityError instead. The same
    class turns a value that is not valid Jinja into an error cookiecutter reports by the option's name.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        import_afresh_next_time()
        base = type(environment)
        if not environment.sandboxed:
            environment.__class__ = type(
                f"Sandboxed{base.__name__}", (_SandboxedRendering, SandboxedEnvironment, base), {}
            )
            # What SandboxedEnvironment.__init__ would have set.
            environment.globals["range"] = safe_range
            environment.binop_table = SandboxedEnvironment.default_binop_table.copy()  # type: ignore[attr-defined]
            environment.unop_table = SandboxedEnvironment.default_unop_table.copy()  # type: ignore[attr-defined]
