"""Every supported combination renders, lints, type-checks, synthesizes, validates, deploys and runs.

Each combination is rendered and checked once (a module-scoped fixture); the tests below only read the
results, so a failure names the combination and the check. The expensive steps (mypy, the CDK synth in a
cold jsii process, the generated unit tests, then the local smoke run) run side by side as subprocesses,
and each combination is one xdist group, so its fixture runs once, on one worker.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from local_extensions import load_hook
from tests.cloud_assembly import CloudAssembly
from tests.combinations import COMBINATIONS, DEFAULT_STEPS, LONG_MIXED_STEPS, TEN_STEPS, WHOLE_SUITE_IDS, Combination
from tests.helpers import (
    CHOICES,
    MYPY_CACHE_DIR,
    OPTIONS,
    PYTHON,
    REPO_ROOT,
    actionlint_command,
    combination_param,
    render,
    resolve_options,
    tool_env,
    unpinned,
    uses_lines,
)

# A Jinja expression or statement that survived rendering. `{{ x }}` needs the spaces Jinja style uses, so
# Mermaid's hexagon nodes (`S{{Saga}}`) and GitHub's `${{ ... }}` do not count.
JINJA_LEFTOVER = re.compile(r"\{\{-?\s*cookiecutter\.|\{%|%\}|(?<!\$)\{\{-?\s[^{}\n]*\s-?\}\}")
# Nothing a tool run or a Python import leaves behind belongs in a freshly generated project.
BUILD_OUTPUT = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "cdk.out", ".venv"}
# cfn-lint's only finding on clean CDK output: a DependsOn that CDK adds next to a GetAtt.
TOLERATED_CFN_LINT_RULES = {"W3005"}
SYNTH_TIMEOUT_SECONDS = 600
# A cold run analyses its part of aws-cdk-lib, moto and Powertools (~20 s alone, minutes when two cores are busy).
MYPY_TIMEOUT_SECONDS = 900
UNIT_TESTS_TIMEOUT_SECONDS = 300
# mypy with the shared cache, one run per Python version at a time across the xdist workers: a cold run fills that
# version's cache, and a second worker's run of the same version waits for it and finds it cached instead of
# analysing the same libraries again. The lock is held until mypy exits (the descriptor survives exec).
MYPY_ONE_AT_A_TIME = (
    "import fcntl, os, sys\n"
    "lock = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)\n"
    "fcntl.flock(lock, fcntl.LOCK_EX)\n"
    "os.set_inheritable(lock, True)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'mypy'])\n"
)
SMOKE_TIMEOUT_SECONDS = 300
# AWS's own state machine validator (npm asl-validator, pinned in package.json, installed by `make test`):
# unlike cfn-lint and CDK's validation, it refuses unreachable states and a Next to a missing state.
ASL_VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"

hook = load_hook("pre_gen_project")


@dataclass(frozen=True)
class ToolRun:
    command: str
    returncode: int
    output: str

    def assert_succeeded(self) -> None:
        if self.returncode != 0:
            # pytrace=False: the tool's own output is the useful part, not this frame.
            pytest.fail(f"`{self.command}` exited {self.returncode}:\n{self.output}", pytrace=False)


@dataclass(frozen=True)
class CheckedProject:
    id: str
    options: dict[str, str]
    project: Path
    # What cookiecutter wrote, listed before any tool ran in the project.
    rendered_paths: tuple[Path, ...]
    cloud_assembly: Path
    synth: ToolRun
    mypy: ToolRun
    ruff_check: ToolRun
    ruff_format: ToolRun
    asl_validation: ToolRun
    # None where the combination's whole generated suite runs them (tests/test_generated_suite.py).
    unit_tests: ToolRun | None
    smoke: ToolRun | None

    @property
    def steps(self) -> list[Any]:
        return list(hook.parse_saga_steps(self.options["saga_steps"]))

    @property
    def actions(self) -> list[str]:
        """Every saga step, then every compensation: each one is a Lambda function."""
        return [step.name for step in self.steps] + [step.compensation for step in self.steps if step.compensation]


def _start(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen[str], timeout: int) -> ToolRun:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0] + f"\n(killed after {timeout} s)"
    command = process.args
    assert isinstance(command, list)
    return ToolRun(" ".join(str(part) for part in command), process.returncode, output)


def _run(command: list[str], cwd: Path) -> ToolRun:
    return _finish(_start(command, cwd, tool_env()), timeout=120)


def _validate_asl(project: Path) -> ToolRun:
    if not ASL_VALIDATOR.exists():
        return ToolRun(str(ASL_VALIDATOR), 1, "asl-validator is not installed: `make test` installs it (npm ci)")
    return _run([str(ASL_VALIDATOR), "--json-path", "statemachine/saga.asl.json"], project)


def _smoke_run(project: Path, cloud_assembly: Path, synth: ToolRun) -> ToolRun:
    """`make local` as a user runs it, on the assembly already synthesized: one order COMPLETED, one FAILED."""
    if synth.returncode != 0:
        return ToolRun("make local", 1, "not run: the synth failed")
    command = [
        "make",
        "--no-print-directory",
        "local",
        f"PYTHON={PYTHON}",
        f"ARGS=--assembly {shlex.quote(str(cloud_assembly))}",
    ]
    return _finish(_start(command, project, tool_env()), SMOKE_TIMEOUT_SECONDS)


def _claim(combination: Combination, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fail when this combination was already checked in this run, on this worker or another one.

    pytest 9.2 silently broke xdist's grouping (pytest-dev/pytest-xdist#1386): every render was then
    checked twice, once per worker, and nothing failed but the clock.
    """
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker's base is a folder of the run's own base, which they share.
    claims = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "checked-combinations"
    claims.mkdir(exist_ok=True)
    try:
        (claims / combination.id).touch(exist_ok=False)
    except FileExistsError:
        pytest.fail(f"{combination.id} was checked twice: its xdist group was split across workers", pytrace=False)


@pytest.fixture(scope="module", params=[combination_param(combination, combination.id) for combination in COMBINATIONS])
def checked(
    request: pytest.FixtureRequest, cookiecutter_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> CheckedProject:
    combination: Combination = request.param
    _claim(combination, tmp_path_factory)
    workspace = tmp_path_factory.mktemp(combination.id)
    project = render(workspace / "rendered", cookiecutter_config, combination.options)
    rendered_paths = tuple(sorted(project.rglob("*")))
    # Outside the project: the cloud assembly is build output, not part of what cookiecutter generated.
    cloud_assembly = workspace / "cdk.out"
    # `python app.py` alone does not read cdk.json; the CDK CLI passes its context like this.
    context = json.loads((project / "cdk.json").read_text())["context"]
    synth = _start(
        [PYTHON, "app.py"],
        project,
        tool_env(CDK_OUTDIR=str(cloud_assembly), CDK_CONTEXT_JSON=json.dumps(context)),
    )
    MYPY_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # mypy keeps one cache per target Python version (the generated pyproject's python_version).
    lock = MYPY_CACHE_DIR / f"one-at-a-time-{resolve_options(combination.options)['python_runtime']}.lock"
    mypy = _start([PYTHON, "-c", MYPY_ONE_AT_A_TIME, str(lock)], project, tool_env())
    unit_tests = (
        None
        if combination.id in WHOLE_SUITE_IDS
        else _start([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "tests/unit"], project, tool_env())
    )
    ruff_check = _run([PYTHON, "-m", "ruff", "check", "--no-cache", "."], project)
    ruff_format = _run([PYTHON, "-m", "ruff", "format", "--check", "--no-cache", "."], project)
    asl_validation = _validate_asl(project)
    synth_run = _finish(synth, SYNTH_TIMEOUT_SECONDS)
    # A whole generated suite tours the same service in tests/local/test_demo.py; nine other combinations run
    # `make local` itself.
    smoke = None if combination.id in WHOLE_SUITE_IDS else _smoke_run(project, cloud_assembly, synth_run)
    return CheckedProject(
        id=combination.id,
        options=resolve_options(combination.options),
        project=project,
        rendered_paths=rendered_paths,
        cloud_assembly=cloud_assembly,
        synth=synth_run,
        mypy=_finish(mypy, MYPY_TIMEOUT_SECONDS),
        ruff_check=ruff_check,
        ruff_format=ruff_format,
        asl_validation=asl_validation,
        unit_tests=None if unit_tests is None else _finish(unit_tests, UNIT_TESTS_TIMEOUT_SECONDS),
        smoke=smoke,
    )


@pytest.fixture(scope="module")
def assembly(checked: CheckedProject) -> CloudAssembly:
    if checked.synth.returncode != 0:
        pytest.fail("synth failed (see test_synthesizes_with_cdk_nag_and_cloudformation_validation)", pytrace=False)
    return CloudAssembly(checked.cloud_assembly)


# ---------------------------------------------------------------------------------------------- the matrix


def test_the_matrix_has_at_least_twelve_uniquely_named_combinations() -> None:
    ids = [combination.id for combination in COMBINATIONS]

    assert len(ids) >= 12
    assert len(set(ids)) == len(ids)


def test_the_matrix_only_sets_options_the_template_has() -> None:
    # cookiecutter silently ignores an unknown key in extra_context, so a typo would test the default instead.
    for combination in COMBINATIONS:
        assert set(combination.options) <= set(OPTIONS), combination.id


def test_the_matrix_is_valid_by_the_hooks_own_rules() -> None:
    for combination in COMBINATIONS:
        # Cookiecutter adds where the template is: the hook reads the EXPRESS worst case from its saga definition.
        hook.validate(resolve_options(combination.options), REPO_ROOT)


def test_the_matrix_covers_every_pair_of_choice_values() -> None:
    rows = [resolve_options(combination.options) for combination in COMBINATIONS]

    missing = [
        f"{first}={first_value} with {second}={second_value}"
        for first, second in itertools.combinations(CHOICES, 2)
        for first_value in CHOICES[first]
        for second_value in CHOICES[second]
        if not any(row[first] == first_value and row[second] == second_value for row in rows)
    ]
    assert missing == []


def test_the_matrix_covers_one_step_the_default_steps_and_a_long_mixed_list() -> None:
    step_lists = [resolve_options(combination.options)["saga_steps"] for combination in COMBINATIONS]
    step_counts = {len(hook.parse_saga_steps(steps)) for steps in step_lists}

    assert {1, 3, hook.MAX_SAGA_STEPS} <= step_counts
    assert DEFAULT_STEPS in step_lists
    assert LONG_MIXED_STEPS in step_lists
    assert TEN_STEPS in step_lists


def test_the_matrix_covers_two_regions_besides_us_east_1_with_dlq_enabled() -> None:
    # The embedded AWS once routed every request to us-east-1: only a queue in another region showed it.
    rows = [resolve_options(combination.options) for combination in COMBINATIONS]

    regions = {row["aws_region"] for row in rows if row["dlq"] == "enabled" and row["aws_region"] != "us-east-1"}
    assert len(regions) >= 2


def test_the_matrix_covers_sagas_without_any_compensation() -> None:
    # Such a saga has no compensation chain: states for failed compensations were once left unreachable.
    step_lists = [hook.parse_saga_steps(resolve_options(c.options)["saga_steps"]) for c in COMBINATIONS]
    without_compensation = [steps for steps in step_lists if not any(step.compensation for step in steps)]

    assert {len(steps) for steps in without_compensation} >= {1, 2}


def test_the_matrix_varies_every_free_text_option() -> None:
    rows = [resolve_options(combination.options) for combination in COMBINATIONS]

    for option in set(OPTIONS) - set(CHOICES):
        assert len({row[option] for row in rows}) > 1, option


# ------------------------------------------------------------------------------------- the rendered files


def test_renders_without_template_leftovers(checked: CheckedProject) -> None:
    leftovers = []
    for path in checked.rendered_paths:
        relative = path.relative_to(checked.project).as_posix()
        texts = [relative, path.read_bytes().decode("utf-8", "replace")] if path.is_file() else [relative]
        leftovers += [f"{relative}: {match.group(0)!r}" for text in texts if (match := JINJA_LEFTOVER.search(text))]
    assert leftovers == []


def test_contains_no_caches_or_build_output(checked: CheckedProject) -> None:
    found = [str(path.relative_to(checked.project)) for path in checked.rendered_paths if path.name in BUILD_OUTPUT]
    assert found == []


def test_ruff_check_is_clean(checked: CheckedProject) -> None:
    checked.ruff_check.assert_succeeded()


def test_ruff_format_is_clean(checked: CheckedProject) -> None:
    checked.ruff_format.assert_succeeded()


def test_mypy_is_clean(checked: CheckedProject) -> None:
    checked.mypy.assert_succeeded()


WHOLE_SUITE_RUNS_IT = "this combination's whole generated suite runs it (tests/test_generated_suite.py)"


def test_the_generated_unit_tests_pass(checked: CheckedProject) -> None:
    if checked.unit_tests is None:
        pytest.skip(WHOLE_SUITE_RUNS_IT)
    checked.unit_tests.assert_succeeded()


def test_the_asl_passes_aws_state_machine_validator(checked: CheckedProject) -> None:
    checked.asl_validation.assert_succeeded()


def generated_workflows(checked: CheckedProject) -> list[Path]:
    return sorted((checked.project / ".github" / "workflows").glob("*.yml"))


def test_the_generated_workflows_pass_actionlint(checked: CheckedProject) -> None:
    """The service's CI and deploy workflows are valid GitHub Actions: actionlint (pinned) reports nothing."""
    # Given the rendered workflows
    workflows = generated_workflows(checked)
    assert [workflow.name for workflow in workflows] == ["ci.yml", "deploy.yml"]
    # When actionlint reads them
    run = _run(actionlint_command(workflows), checked.project)
    # Then it finds nothing: syntax, expressions and contexts, job dependencies, runner labels, shell scripts
    run.assert_succeeded()


def test_every_action_in_the_generated_workflows_is_pinned_to_a_commit(checked: CheckedProject) -> None:
    """A tag can be moved to other code; a full commit SHA cannot. The comment names the release it is."""
    # Given every `uses:` line of the rendered workflows
    uses = uses_lines(generated_workflows(checked))
    assert uses
    # When reading what each one is pinned to
    not_pinned = unpinned(uses)
    # Then each names a 40-hex commit, followed by `# vX.Y.Z`
    assert not_pinned == []


def test_make_local_completes_one_order_and_compensates_one_business_failure(checked: CheckedProject) -> None:
    # local/demo.py exits non-zero when an order does not end COMPLETED, the business failure does not end
    # FAILED with exactly the expected compensations in reverse order, or a replay or redelivery adds anything.
    if checked.smoke is None:
        pytest.skip(WHOLE_SUITE_RUNS_IT)
    checked.smoke.assert_succeeded()


# -------------------------------------------------------------------------------------------- synthesis


def test_cdk_json_makes_cloudformation_validation_fail_the_synth(checked: CheckedProject) -> None:
    context = json.loads((checked.project / "cdk.json").read_text())["context"]

    assert context.get("@aws-cdk/core:validateAgainstDefaultRules") is True


def test_synthesizes_with_cdk_nag_and_cloudformation_validation(checked: CheckedProject) -> None:
    checked.synth.assert_succeeded()
    report = json.loads((checked.cloud_assembly / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert plugins["AwsSolutions"]["conclusion"] == "success"
    # "ok" or "n/a" is not a reason; a reviewer needs a sentence saying why the finding is acceptable.
    unexplained = [
        suppressed["ruleName"]
        for plugin in plugins.values()
        for suppressed in plugin.get("suppressedViolations", [])
        if len(suppressed.get("reason", "").strip()) < 20
    ]
    assert unexplained == [], "every acknowledged finding needs a real reason"


def test_cfn_lint_is_clean(checked: CheckedProject, assembly: CloudAssembly) -> None:
    if checked.id in WHOLE_SUITE_IDS:
        pytest.skip(WHOLE_SUITE_RUNS_IT)
    matches = lint_file(assembly.template_path, config=ManualArgs(regions=[checked.options["aws_region"]]))

    assert [str(match) for match in matches if match.rule.id not in TOLERATED_CFN_LINT_RULES] == []


def test_the_stack_is_named_after_the_project_slug(checked: CheckedProject, assembly: CloudAssembly) -> None:
    assert assembly.stack_name == checked.options["project_slug"]


def test_every_handler_is_a_module_in_its_code_asset(checked: CheckedProject, assembly: CloudAssembly) -> None:
    missing = []
    for logical_id, function in service_functions(checked, assembly).items():
        module, _, _ = function["Handler"].rpartition(".")
        asset = assembly.directory / f"asset.{function['Code']['S3Key'].removesuffix('.zip')}"
        if not (asset / f"{module.replace('.', '/')}.py").is_file():
            missing.append(f"{logical_id}: {function['Handler']}")
    assert missing == []


# -------------------------------------------------------------------------------------- option by option


def service_functions(checked: CheckedProject, assembly: CloudAssembly) -> dict[str, dict[str, Any]]:
    """The service's own functions (CDK may add helper functions of its own)."""
    prefix = f"{checked.options['package_name']}.handlers."
    return {
        logical_id: function
        for logical_id, function in assembly.resources("AWS::Lambda::Function").items()
        if function["Handler"].startswith(prefix)
    }


def function_by_handler(checked: CheckedProject, assembly: CloudAssembly, module: str) -> dict[str, Any]:
    handler = f"{checked.options['package_name']}.handlers.{module}.handler"
    matches = [function for function in service_functions(checked, assembly).values() if function["Handler"] == handler]
    assert len(matches) == 1, f"expected one function with handler {handler}"
    return matches[0]


def environment(function: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = function.get("Environment", {}).get("Variables", {})
    return variables


def state_machine(assembly: CloudAssembly) -> dict[str, Any]:
    (machine,) = assembly.resources("AWS::StepFunctions::StateMachine").values()
    return machine


def pascal(snake_name: str) -> str:
    return "".join(part.capitalize() for part in snake_name.split("_"))


def test_workflow_type(checked: CheckedProject, assembly: CloudAssembly) -> None:
    workflow_type = checked.options["workflow_type"]
    machine = state_machine(assembly)
    relay = environment(function_by_handler(checked, assembly, "outbox_relay"))

    assert machine.get("StateMachineType", "STANDARD") == workflow_type
    assert relay["WORKFLOW_TYPE"] == workflow_type
    if workflow_type == "EXPRESS":
        # Express keeps no execution history: its CloudWatch log is the only record.
        assert machine["LoggingConfiguration"]["Level"] == "ALL"
        assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False
        assert "DISPATCH_CLAIMS_TABLE_NAME" in relay
        assert len(assembly.resources("AWS::DynamoDB::Table")) == 4
    else:
        assert "DISPATCH_CLAIMS_TABLE_NAME" not in relay
        assert len(assembly.resources("AWS::DynamoDB::Table")) == 3


def test_dlq(checked: CheckedProject, assembly: CloudAssembly) -> None:
    enabled = checked.options["dlq"] == "enabled"
    (mapping,) = assembly.resources("AWS::Lambda::EventSourceMapping").values()
    depth_alarms = [
        alarm
        for alarm in assembly.resources("AWS::CloudWatch::Alarm").values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    queues = assembly.resources("AWS::SQS::Queue")

    assert bool(queues) == enabled
    assert ("OnFailure" in mapping.get("DestinationConfig", {})) == enabled
    assert len(depth_alarms) == len(queues)
    if not enabled:
        assert "RetriableFailuresQueueUrl" not in state_machine(assembly).get("DefinitionSubstitutions", {})


def test_the_readme_draws_the_retriable_failures_queue_only_where_the_stack_has_one(
    checked: CheckedProject, assembly: CloudAssembly
) -> None:
    # The README's diagram is rendered from the options; the queue comes from the step list at synth time.
    has_queue = "RetriableFailuresQueueUrl" in state_machine(assembly).get("DefinitionSubstitutions", {})

    drawn = "retriable failures queue" in (checked.project / "README.md").read_text(encoding="utf-8")

    assert drawn == has_queue


def test_tracing(checked: CheckedProject, assembly: CloudAssembly) -> None:
    enabled = checked.options["tracing"] == "enabled"
    functions = service_functions(checked, assembly).values()
    (stage,) = assembly.resources("AWS::ApiGateway::Stage").values()

    assert {function.get("TracingConfig", {}).get("Mode", "PassThrough") for function in functions} == {
        "Active" if enabled else "PassThrough"
    }
    assert {environment(function).get("POWERTOOLS_TRACE_DISABLED") for function in functions} == {
        None if enabled else "true"
    }
    assert state_machine(assembly).get("TracingConfiguration", {}).get("Enabled", False) is enabled
    assert stage.get("TracingEnabled", False) is enabled


def test_api_auth(checked: CheckedProject, assembly: CloudAssembly) -> None:
    expected = {"iam": "AWS_IAM", "none": "NONE"}[checked.options["api_auth"]]
    methods = assembly.resources("AWS::ApiGateway::Method").values()

    assert {method.get("AuthorizationType", "NONE") for method in methods} == {expected}


def test_routes_follow_the_domain(checked: CheckedProject, assembly: CloudAssembly) -> None:
    # The plural in kebab-case: payment_intent -> /payment-intents, person (plural people) -> /people.
    collection = checked.options["domain_plural"].replace("_", "-")
    resources = assembly.resources("AWS::ApiGateway::Resource")

    def path(resource_id: str) -> str:
        parent = resources[resource_id]["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{resources[resource_id]['PathPart']}"

    routes = {
        (method["HttpMethod"], path(method["ResourceId"]["Ref"]))
        for method in assembly.resources("AWS::ApiGateway::Method").values()
    }
    assert routes == {("POST", f"/{collection}"), ("GET", f"/{collection}/{{id}}")}
    domain = checked.options["domain"]
    function_by_handler(checked, assembly, f"create_{domain}")
    function_by_handler(checked, assembly, f"get_{domain}")


def test_license(checked: CheckedProject) -> None:
    expected = {"MIT": "MIT", "Apache-2.0": "Apache-2.0", "proprietary": "LicenseRef-Proprietary"}
    pyproject = tomllib.loads((checked.project / "pyproject.toml").read_text())

    assert pyproject["project"]["license"] == expected[checked.options["license"]]
    assert (checked.project / "LICENSE").is_file()


def test_runtime_architecture_and_dependencies_layer(checked: CheckedProject, assembly: CloudAssembly) -> None:
    runtime, architecture = checked.options["python_runtime"], checked.options["architecture"]
    ((layer_id, layer),) = assembly.resources("AWS::Lambda::LayerVersion").items()
    # The layer's packages are built per Python version and architecture; a mismatch fails at import.
    assert layer["CompatibleRuntimes"] == [f"python{runtime}"]
    assert layer["CompatibleArchitectures"] == [architecture]

    for logical_id, function in service_functions(checked, assembly).items():
        assert function["Runtime"] == f"python{runtime}", logical_id
        assert function.get("Architectures", ["x86_64"]) == [architecture], logical_id
        assert function["Layers"] == [{"Ref": layer_id}], logical_id


def test_idempotency_ttl_and_outbox_retention(checked: CheckedProject, assembly: CloudAssembly) -> None:
    create = environment(function_by_handler(checked, assembly, f"create_{checked.options['domain']}"))

    assert create["IDEMPOTENCY_TTL_SECONDS"] == str(int(checked.options["idempotency_ttl_hours"]) * 3600)
    assert create["OUTBOX_RETENTION_DAYS"] == str(int(checked.options["outbox_retention_days"]))


def test_one_function_per_saga_step_and_compensation(checked: CheckedProject, assembly: CloudAssembly) -> None:
    compensations = {step.compensation for step in checked.steps if step.compensation}
    actions = [
        environment(function)
        for function in service_functions(checked, assembly).values()
        if function["Handler"].endswith(".handlers.saga_action.handler")
    ]

    assert sorted(action["SAGA_ACTION"] for action in actions) == sorted(checked.actions)
    for action in actions:
        expected_kind = "compensation" if action["SAGA_ACTION"] in compensations else "step"
        assert action["SAGA_ACTION_KIND"] == expected_kind, action["SAGA_ACTION"]
    substitutions = state_machine(assembly)["DefinitionSubstitutions"]
    assert {key for key in substitutions if key.endswith("FunctionArn")} == {
        f"{pascal(action)}FunctionArn" for action in checked.actions
    }


def test_the_happy_path_runs_every_step_in_order(checked: CheckedProject, assembly: CloudAssembly) -> None:
    definition = json.loads(state_machine(assembly)["DefinitionString"])
    states = definition["States"]
    happy_path = [definition["StartAt"]]
    while "Next" in states[happy_path[-1]] and len(happy_path) <= len(states):
        happy_path.append(states[happy_path[-1]]["Next"])

    step_states = [pascal(step.name) for step in checked.steps]
    assert [state for state in happy_path if state in step_states] == step_states
    assert {pascal(action) for action in checked.actions} <= set(states)
