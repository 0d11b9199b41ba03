"""Finish the generated project: drop files of disabled options, generate the saga's ASL and diagram, then
print the next steps.

Cookiecutter runs this with the generated project as the working directory. The ASL generator is the
generated project's own (infra/saga_definition.py and the infra/saga_*.py modules it imports, standard library
only), so the file a team regenerates later with `make asl` is byte-for-byte what this hook wrote.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The embedded AWS, kept once in the template (embedded-aws/), is copied into every service here, without its tests
# and build leftovers: the service's own tests exercise it as the service uses it.
EMBEDDED_AWS = "embedded-aws"
VENDORED_EMBEDDED_AWS = Path("vendor") / EMBEDDED_AWS
NOT_VENDORED = shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build", ".*")

# Files that exist only for one value of an option: {option: {value that keeps them: [paths]}}.
OPTIONAL_FILES = {
    "workflow_type": {
        "EXPRESS": [
            "src/{package_name}/dal/dispatch_claims.py",
            "tests/integration/test_dispatch_claims.py",
        ],
    },
}


def files_to_remove(options: dict[str, str]) -> list[Path]:
    paths: list[Path] = []
    for option, kept_for in OPTIONAL_FILES.items():
        for value, templates in kept_for.items():
            if options[option] != value:
                paths.extend(Path(template.format(**options)) for template in templates)
    return paths


def vendor_embedded_aws(template_directory: Path, project: Path) -> Path:
    """Copy the template's embedded AWS package into ``project``/vendor/embedded-aws; returns the copy's directory.

    Raises FileExistsError if the project already has one (cookiecutter renders into a new directory).
    """
    target = project / VENDORED_EMBEDDED_AWS
    shutil.copytree(template_directory / EMBEDDED_AWS, target, ignore=NOT_VENDORED)
    return target


def next_steps(project: Path) -> str:
    """The commands to run after a render, one a line, starting with ``cd`` into ``project``."""
    return "\n".join(
        [
            f"Generated {project}. Next:",
            f"  cd {shlex.quote(str(project))}",
            "  make install   # .venv with the pinned dependencies",
            "  make local     # the whole flow on an embedded AWS: no account, no Docker",
            "  make test      # every test that needs no AWS account",
            "  make deploy    # needs AWS credentials, and `make bootstrap` once per account and region",
        ]
    )


def main() -> int:
    # Cookiecutter leaves its rendered copy of each hook, every option value in it, in the temporary directory
    # (see pre_gen_project.forget_rendered_copy).
    script = Path(__file__).resolve()
    if script.parent == Path(tempfile.gettempdir()).resolve():
        script.unlink(missing_ok=True)
    options = json.loads(r"""{{ cookiecutter | tojson }}""")
    project = Path.cwd()
    # Not cookiecutter's _repo_dir, which may be relative to a directory this script is not in (see pre_gen_project).
    template_directory = Path(json.loads(r""" {{ template_directory | tojson }} """))
    vendor_embedded_aws(template_directory, project)
    for path in files_to_remove(options):
        target = project / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    generated = subprocess.run([sys.executable, "-m", "infra.saga_definition"], cwd=project, check=False)
    if generated.returncode != 0:
        return generated.returncode
    print(next_steps(project))
    return 0


if __name__ == "__main__":
    sys.exit(main())
