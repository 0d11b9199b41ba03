"""Validate every cookiecutter option before anything is rendered.

Cookiecutter renders this file with Jinja and runs it with the output directory as its
working directory; a non-zero exit aborts the render and removes the partial output.
The options arrive as JSON data (``tojson``), never pasted into code, so no value can
change what this script does. The module is importable without rendering for unit tests.
"""

from __future__ import annotations

import importlib
import json
import keyword
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

MAX_SAGA_STEPS = 10
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
MAX_NAME_LENGTH = 40
# The slug names the CloudFormation stack, whose resource names AWS truncates past this.
MAX_SLUG_LENGTH = 64
# The domain appears in routes, class names and docstrings; longer names would break line limits.
MAX_DOMAIN_LENGTH = 24
# The plural appears in the same places; a derived default is at most two characters longer (box -> boxes).
MAX_DOMAIN_PLURAL_LENGTH = MAX_DOMAIN_LENGTH + 2
# The one list of each choice option's values, its default first. cookiecutter.json holds only the default, as
# plain text: cookiecutter 2.7.1 drops a user config's value for a choice list that is not in the list, and with
# it every later value of the config, with a mere warning (cookiecutter issue 2219); as plain text every value
# reaches this script, which refuses what is not exactly one of these.
CHOICES = {
    "workflow_type": ("STANDARD", "EXPRESS"),
    "dlq": ("enabled", "disabled"),
    "tracing": ("enabled", "disabled"),
    "api_auth": ("iam", "none"),
    "python_runtime": ("3.13", "3.12"),
    "architecture": ("arm64", "x86_64"),
    "license": ("MIT", "Apache-2.0", "proprietary"),
}
YAML_BOOLEAN_HINT = "YAML reads yes/no/on/off/true/false as booleans: quote the value"
YAML_NULL_HINT = "YAML reads an empty value, ~ and null as no value: give one"
YAML_NUMBER_HINT = "YAML reads an unquoted number as a number, 3.10 as 3.1: quote the value"
# The only shape a number takes when YAML dropped its trailing zero (3.10 -> 3.1, 3.20 -> 3.2).
ONE_DECIMAL = re.compile(r"^\d+\.\d$")


class OptionError(ValueError):
    """An option value the template cannot render; the message names the option."""


@dataclass(frozen=True)
class SagaStep:
    name: str
    compensation: str | None = None


def parse_saga_steps(text: str) -> list[SagaStep]:
    """Parse ``step[:compensation], ...`` into steps, rejecting anything unrenderable.

    One trailing comma ends the list (``"a:b, c,"`` is two steps); any other empty entry is refused.
    """
    entries = [entry.strip() for entry in text.split(",")]
    # A list edited by deleting its last step often keeps the comma; it does not ask for an empty step.
    if len(entries) > 1 and entries[-1] == "":
        entries.pop()
    if entries == [""]:
        raise OptionError("saga_steps: at least one step is required")
    if len(entries) > MAX_SAGA_STEPS:
        raise OptionError(f"saga_steps: {len(entries)} steps given, at most {MAX_SAGA_STEPS} are supported")
    steps = [_parse_step(entry) for entry in entries]
    names = [name for step in steps for name in (step.name, step.compensation) if name]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        repeated = ", ".join(duplicates)
        raise OptionError(f"saga_steps: each step and compensation needs its own name; repeated: {repeated}")
    return steps


def _parse_step(entry: str) -> SagaStep:
    parts = [part.strip() for part in entry.split(":")]
    if len(parts) > 2:
        raise OptionError(f"saga_steps: {entry!r} has more than one ':'; write step or step:compensation")
    for part in parts:
        _check_identifier("saga_steps", part)
    return SagaStep(parts[0], parts[1] if len(parts) == 2 else None)


def _check_identifier(option: str, value: str, max_length: int = MAX_NAME_LENGTH) -> None:
    if not SNAKE_CASE.match(value):
        raise OptionError(f"{option}: {value!r} must be snake_case (lowercase letters, digits, single underscores)")
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        raise OptionError(f"{option}: {value!r} is a Python keyword")
    if len(value) > max_length:
        raise OptionError(f"{option}: {value!r} is longer than {max_length} characters")


def _shown(value: object) -> str:
    """A value as a message names it, saying what it is when it is not text."""
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return repr(value)


def _yaml_hint(value: object) -> str:
    """What YAML may have done to a value, for a message: a user config file is read as YAML."""
    if isinstance(value, bool):
        return f" ({YAML_BOOLEAN_HINT})"
    if value is None:
        return f" ({YAML_NULL_HINT})"
    if isinstance(value, int | float) or (isinstance(value, str) and ONE_DECIMAL.match(value)):
        return f" ({YAML_NUMBER_HINT})"
    return ""


def _check_choice(option: str, value: object) -> None:
    """Accept exactly one of the option's texts: cookiecutter hands over a YAML boolean or null as it is."""
    allowed = CHOICES[option]
    if isinstance(value, str) and value in allowed:
        return
    numeric = any(choice.replace(".", "", 1).isdigit() for choice in allowed)
    hint = _yaml_hint(value) if not isinstance(value, str) or numeric else ""
    raise OptionError(f"{option}: {_shown(value)} is not one of {', '.join(allowed)}{hint}")


def _check_text(option: str, value: object) -> None:
    """Refuse a free-text value that is no text: a YAML user config file's unquoted yes, off, ~ or a list.

    Cookiecutter makes a number text before any hook runs (3.12 -> "3.12"); a replay file may hold one as is.
    """
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise OptionError(f"{option}: {_shown(value)} is not text{_yaml_hint(value)}")


def _positive_int(option: str, value: object) -> int:
    text = str(value).strip()
    # isdigit() alone accepts superscripts such as "2⁴", which int() rejects.
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise OptionError(f"{option}: {value!r} must be a positive whole number")
    return int(text)


def template_saga_modules(template_directory: Path) -> tuple[ModuleType, ModuleType]:
    """The generated project's own ``infra.saga_model`` and ``infra.saga_asl`` (standard library only), from the
    template.

    They decide what a saga's worst case is, for the render here and for `make asl` and synth later. The
    project's directory is found by glob: its name is a Jinja expression, which this script would render if
    it were written here. Imported as the project imports them (``infra.saga_asl`` imports ``infra.saga_model``);
    this script runs in a process of its own, so the import path it adds goes with it.
    """
    (asl_path,) = template_directory.glob("*/infra/saga_asl.py")
    project = str(asl_path.parent.parent)
    if project not in sys.path:
        sys.path.insert(0, project)
    return importlib.import_module("infra.saga_model"), importlib.import_module("infra.saga_asl")


def check_express_duration(options: dict[str, object], steps: list[SagaStep], template_directory: Path) -> None:
    """Refuse an EXPRESS saga whose worst case, at the default timeouts and retries, exceeds five minutes."""
    if options["workflow_type"] != "EXPRESS":
        return
    model, asl = template_saga_modules(template_directory)
    saga = tuple(model.SagaStep(step.name, step.compensation) for step in steps)
    try:
        asl.check_express_duration(saga, workflow_type="EXPRESS", dlq_enabled=options["dlq"] == "enabled")
    except asl.SagaTooLongForExpress as too_long:
        raise OptionError(
            f"saga_steps: with workflow_type EXPRESS, {too_long}: choose workflow_type STANDARD, or fewer steps"
            " (each step's timeout and retries can be lowered in infra/saga_steps.py after rendering)"
        ) from too_long


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG.match(slug)) and len(slug) <= MAX_SLUG_LENGTH


def validate(options: dict[str, object], template_directory: Path) -> None:
    """Raise OptionError for the first option the template cannot render.

    ``template_directory`` is the template's root, absolute: the saga modules there judge an EXPRESS saga.
    """
    for option in CHOICES:
        _check_choice(option, options[option])
    # Keys starting with "_" are cookiecutter's settings and facts (_repo_dir, _checkout), not options.
    for option, value in options.items():
        if not option.startswith("_"):
            _check_text(option, value)
    if not any(character.isalnum() for character in str(options["project_name"])):
        raise OptionError("project_name: must contain at least one letter or digit")
    slug = str(options["project_slug"])
    if not is_valid_slug(slug):
        raise OptionError(
            f"project_slug: {slug!r} must be lowercase letters and digits separated by single dashes"
            f" (at most {MAX_SLUG_LENGTH})"
        )
    _check_identifier("package_name", str(options["package_name"]))
    domain = str(options["domain"])
    _check_identifier("domain", domain, MAX_DOMAIN_LENGTH)
    domain_plural = str(options["domain_plural"])
    _check_identifier("domain_plural", domain_plural, MAX_DOMAIN_PLURAL_LENGTH)
    if domain_plural == domain:
        raise OptionError(
            f"domain_plural: {domain_plural!r} must differ from the domain, so a collection and one of its"
            " items have different names"
        )
    steps = parse_saga_steps(str(options["saga_steps"]))
    _positive_int("idempotency_ttl_hours", options["idempotency_ttl_hours"])
    _positive_int("outbox_retention_days", options["outbox_retention_days"])
    if not REGION.match(str(options["aws_region"])):
        raise OptionError(f"aws_region: {options['aws_region']!r} is not an AWS region name such as us-east-1")
    check_express_duration(options, steps, template_directory)


def forget_rendered_copy() -> None:
    """Delete this script when it runs as cookiecutter's rendered copy in the temporary directory.

    Cookiecutter 2.7.1 renders each hook into ``NamedTemporaryFile(delete=False)`` and never removes it
    (cookiecutter/hooks.py, ``run_script_with_context``): every render, refused or not, would leave a file
    holding all its option values in /tmp. Imported for tests, the hook is not in that directory.
    """
    script = Path(__file__).resolve()
    if script.parent == Path(tempfile.gettempdir()).resolve():
        script.unlink(missing_ok=True)


def main() -> int:
    forget_rendered_copy()
    options = json.loads(r"""{{ cookiecutter | tojson }}""")
    # Not cookiecutter's _repo_dir: that is the path as the user typed it, often relative to a directory this
    # script, run inside the new project, is not in. The spaces keep the JSON string's quotes apart from the literal's.
    template_directory = Path(json.loads(r""" {{ template_directory | tojson }} """))
    try:
        validate(options, template_directory)
    except OptionError as error:
        print(f"ERROR: invalid option {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
