"""A git repository of this template, and cruft and git run on it, as a team's template and services would have them.

cruft renders a commit of a git repository (never a working tree), so the update tests copy the template's files into
a repository of their own and commit there: this checkout's own history and state are never touched. Everything runs
offline: the template's "URL" is that repository's path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.helpers import PYTHON, REPO_ROOT, tool_env

# The console script of the environment running the tests, as a user runs it (not `python -m cruft`, which would put
# the working directory first on sys.path, where a template checkout's local_extensions.py would win).
CRUFT = Path(PYTHON).with_name("cruft")
# The template's directory of the generated service, as its files are named in the repository.
PROJECT_TEMPLATE = "{{cookiecutter.project_slug|project_directory}}"
PACKAGE_TEMPLATE = f"{PROJECT_TEMPLATE}/src/{{{{cookiecutter.package_name}}}}"
TIMEOUT_SECONDS = 120
# A realistic template change in a module a service's team leaves alone: appended to the template's logic/views.py.
VIEWS_ADDITION = '\n\ndef view_version() -> int:\n    """Added by the template."""\n    return 2\n'


def isolated_env(cookiecutter_config: Path) -> dict[str, str]:
    """tool_env() for git and cruft: no user or system git configuration (signing, hooks, default branch), a fixed
    identity, and the tests' cookiecutter config (cruft update has no --config-file; it reads COOKIECUTTER_CONFIG)."""
    return tool_env(
        COOKIECUTTER_CONFIG=str(cookiecutter_config),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Template Test",
        GIT_AUTHOR_EMAIL="template-test@example.com",
        GIT_COMMITTER_NAME="Template Test",
        GIT_COMMITTER_EMAIL="template-test@example.com",
        # Tools must find the environment's cruft and make the environment's python (the README's blocks run as is).
        PATH=f"{CRUFT.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )


def run(command: list[str], cwd: Path, env: dict[str, str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``; with ``check``, a non-zero exit fails with its output."""
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if check and completed.returncode != 0:
        raise AssertionError(f"`{' '.join(command)}` failed in {cwd}:\n{completed.stdout}\n{completed.stderr}")
    return completed


def git(repository: Path, env: dict[str, str], *args: str) -> str:
    """``git args`` in ``repository``; its standard output."""
    return run(["git", *args], repository, env).stdout


def commit_all(repository: Path, env: dict[str, str], message: str) -> str:
    """Commit every change in ``repository`` (a first commit creates it, on ``main``); the new commit's hash."""
    if not (repository / ".git").exists():
        git(repository, env, "init", "--quiet", "--initial-branch=main")
    git(repository, env, "add", "--all")
    git(repository, env, "commit", "--quiet", "--message", message)
    return git(repository, env, "rev-parse", "HEAD").strip()


def template_repository(destination: Path, env: dict[str, str]) -> Path:
    """A git repository at ``destination`` of this checkout's template files as they are now (committed or not, the
    files git would not ignore), committed once; returns it."""
    listed = git(REPO_ROOT, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        # A file deleted in the working tree is still listed as cached.
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    commit_all(destination, env, "the template at commit A")
    return destination


def cruft(env: dict[str, str], cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The cruft command line with ``args``, in ``cwd``."""
    return run([str(CRUFT), *args], cwd, env, check=check)


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path``; fails, naming the file, when there is not exactly one."""
    text = path.read_text()
    assert text.count(old) == 1, f"expected {old!r} once in {path}"
    path.write_text(text.replace(old, new))


def readme_block(readme: Path, name: str) -> str:
    """The shell code block of ``readme`` between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    pattern = rf"<!-- {re.escape(name)}:start -->\n```bash\n(.*?)```\n<!-- {re.escape(name)}:end -->"
    match = re.search(pattern, readme.read_text(), re.DOTALL)
    assert match, f"no {name} block in {readme}"
    return match.group(1)
