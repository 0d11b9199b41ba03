"""The code reads one way: handlers -> logic <- dal, and the operations scripts run without the CDK."""

import ast
import os
import subprocess
import sys
from pathlib import Path

from infra.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT_ROOT / "src" / SETTINGS.package_name


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return modules | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_the_logic_imports_neither_data_access_nor_handlers() -> None:
    # Given every module of the pure logic
    forbidden = (f"{SETTINGS.package_name}.dal", f"{SETTINGS.package_name}.handlers", "boto3", "botocore")
    # When their imports are read
    offending = {
        f"{path.name}: {module}"
        for path in sorted((PACKAGE / "logic").glob("*.py"))
        for module in imported_modules(path)
        if module.startswith(forbidden)
    }
    # Then none reaches data access, the handlers or an AWS client: dal and handlers depend on logic, not back
    assert offending == set()


def test_the_operations_scripts_run_without_loading_the_cdk() -> None:
    # Given a fresh interpreter with the project's import paths
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)])}
    # When it imports the redrive script
    completed = subprocess.run(
        [sys.executable, "-c", "import sys, ops.redrive; print(sorted(m for m in sys.modules if 'cdk' in m))"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    # Then no CDK module was loaded: an operator's script starts fast and needs no Node.js
    assert completed.stdout.strip() == "[]"
