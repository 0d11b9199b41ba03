"""Finish the generated project: drop files of disabled options, then generate the saga's ASL and diagram.

Cookiecutter runs this with the generated project as the working directory. The ASL generator is the
generated project's own (infra/saga_definition.py, standard library only), so the file a team
regenerates later with `make asl` is byte-for-byte what this hook wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

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


def main() -> int:
    options = json.loads(r"""{{ cookiecutter | tojson }}""")
    project = Path.cwd()
    for path in files_to_remove(options):
        target = project / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    return subprocess.run([sys.executable, "-m", "infra.saga_definition"], cwd=project, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
