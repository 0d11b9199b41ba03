"""``make asl`` (``python -m infra.saga_definition``): write the files generated from the saga's step list.

It rewrites statemachine/saga.asl.json and the saga diagram in README.md from infra/saga_steps.py;
``--check`` fails when either has drifted. The synth and the tests check the same with
``checked_in_definition`` and ``check_action_functions``. Standard library only: the template's
post-generation hook runs it before any dependency is installed.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from infra.saga_asl import SHORTEN_THE_SAGA, SagaTooLongForExpress, build_asl, check_express_duration, render_asl
from infra.saga_diagram import readme_with_diagram
from infra.saga_model import SagaStep, action_names

ASL_PATH = Path("statemachine/saga.asl.json")
README_PATH = Path("README.md")


class StaleDefinition(Exception):
    """The checked-in ASL is not the one the step list generates; `make asl` regenerates it."""


def out_of_date(paths: list[Path]) -> str:
    """The one-line message naming generated files (relative paths) that no longer match the step list."""
    names = ", ".join(path.as_posix() for path in paths)
    return f"{names} {'is' if len(paths) == 1 else 'are'} out of date with infra/saga_steps.py: run `make asl`"


def checked_in_definition(root: Path, steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> str:
    """The ASL text at ``root / ASL_PATH``, which the state machine deploys.

    Raises StaleDefinition when the file is missing or is not what ``steps`` generate (the step list was
    edited without `make asl`): a stack built from it would run the old saga.
    """
    path = root / ASL_PATH
    expected = render_asl(steps, dlq_enabled=dlq_enabled)
    if not path.exists() or path.read_text(encoding="utf-8") != expected:
        raise StaleDefinition(out_of_date([ASL_PATH]))
    return expected


class ActionFunctionsMismatch(StaleDefinition):
    """logic/actions.py does not define exactly one public function per step and compensation."""


def check_action_functions(root: Path, package_name: str, steps: tuple[SagaStep, ...]) -> None:
    """Raise ActionFunctionsMismatch naming every action function missing from ``src/<package>/logic/actions.py``
    under ``root``, and every one left over.

    The module is read as source (``ast``), not imported: synthesis never runs the service's code. A stack
    without one of the functions would deploy a Lambda that fails at its first import. The saga construct
    (every synth), `make asl` and tests/unit/test_saga_actions.py run this check. Public module-level functions
    count; helpers start with ``_``.
    """
    actions_path = Path("src") / package_name / "logic" / "actions.py"
    tree = ast.parse((root / actions_path).read_text(encoding="utf-8"), filename=str(actions_path))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    names = action_names(steps)
    missing = [name for name in names if name not in defined]
    leftover = sorted(defined - set(names))
    problems = []
    if missing:
        problems.append("missing " + ", ".join(f"{name}()" for name in missing))
    if leftover:
        named = ", ".join(f"{name}()" for name in leftover)
        problems.append(f"left over (no step or compensation has that name) {named}")
    if problems:
        raise ActionFunctionsMismatch(
            f"{actions_path.as_posix()} does not match infra/saga_steps.py: {'; '.join(problems)}"
        )


def generated_files(root: Path, steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> dict[Path, str]:
    """The content every generated file should have, keyed by path."""
    asl = build_asl(steps, dlq_enabled=dlq_enabled)
    readme = (root / README_PATH).read_text(encoding="utf-8")
    return {
        root / ASL_PATH: json.dumps(asl, indent=2) + "\n",
        root / README_PATH: readme_with_diagram(readme, asl),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail instead of writing when a file is out of date")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)

    from infra.saga_steps import SAGA_STEPS
    from infra.settings import SETTINGS

    try:
        check_express_duration(SAGA_STEPS, workflow_type=SETTINGS.workflow_type, dlq_enabled=SETTINGS.dlq_enabled)
    except SagaTooLongForExpress as too_long:
        print(f"infra/saga_steps.py: {too_long}: {SHORTEN_THE_SAGA} (nothing was written)", file=sys.stderr)
        return 1
    stale = []
    for path, content in generated_files(args.root, SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled).items():
        if path.exists() and path.read_text(encoding="utf-8") == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    if args.check and stale:
        print(out_of_date([path.relative_to(args.root) for path in stale]), file=sys.stderr)
        return 1
    if stale:
        print("wrote " + ", ".join(path.relative_to(args.root).as_posix() for path in stale))
    else:
        print(f"{ASL_PATH.as_posix()} and {README_PATH.as_posix()} are up to date with infra/saga_steps.py")
    # Right after editing the step list is when the action functions are missing or left over: say so now,
    # once, rather than through every test that synthesizes the app.
    try:
        check_action_functions(args.root, SETTINGS.package_name, SAGA_STEPS)
    except ActionFunctionsMismatch as mismatch:
        print(
            mismatch,
            "The ASL and the README's diagram are written; now add or remove those functions.",
            sep="\n",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
