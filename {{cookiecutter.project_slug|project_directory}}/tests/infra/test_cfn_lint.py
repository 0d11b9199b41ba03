"""cfn-lint on the synthesized template, the same check CloudFormation-aware CI runs."""

from pathlib import Path

from cfnlint.api import ManualArgs, lint_file

from infra.settings import SETTINGS

# CDK adds DependsOn next to GetAtt for roles and their default policies; harmless and not ours to change.
TOLERATED = {"W3005"}


def test_template_is_cfn_lint_clean(template_path: Path) -> None:
    # Given the synthesized template
    # When cfn-lint checks it for the service's region
    matches = lint_file(template_path, config=ManualArgs(regions=[SETTINGS.aws_region]))
    # Then nothing but the tolerated warnings is reported
    problems = [f"{match.rule.id} {match.message}" for match in matches if match.rule.id not in TOLERATED]
    assert problems == []
