"""cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgment is justified and used."""

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_sqs as sqs

from app import build_app, cdk_json_context
from infra.settings import SETTINGS

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
MIN_REASON_WORDS = 8


def acknowledgments(stack_metadata: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str]]:
    """``(construct path, rule id, reason)`` of every acknowledgment recorded in the assembly."""
    return [
        (path.lstrip("/"), rule, reason)
        for path, entries in stack_metadata.items()
        for entry in entries
        if entry["type"] == ACKNOWLEDGED_RULES
        for rule, reason in entry["data"].items()
    ]


def test_synth_leaves_no_unacknowledged_finding(validation_report: dict[str, Any]) -> None:
    # Given the app with AwsSolutionsChecks (synth itself would have raised on a finding)
    # When reading the validation report of the session's synth
    reports = {report["pluginName"]: report for report in validation_report["pluginReports"]}
    # Then AwsSolutions ran and passed with nothing left to look at
    assert reports["AwsSolutions"]["conclusion"] == "success"
    assert reports["AwsSolutions"]["violations"] == []


def test_every_acknowledgment_gives_a_reason(stack_metadata: dict[str, list[dict[str, Any]]]) -> None:
    # Given every acknowledgment recorded on the constructs
    recorded = acknowledgments(stack_metadata)
    assert recorded
    # When reading their reasons
    # Then each explains itself in a sentence, not a placeholder
    for path, rule, reason in recorded:
        assert len(reason.split()) >= MIN_REASON_WORDS, f"{rule} at {path} needs a real reason, got {reason!r}"


def test_every_acknowledgment_suppresses_a_finding(
    stack_metadata: dict[str, list[dict[str, Any]]], validation_report: dict[str, Any]
) -> None:
    # Given the acknowledgments and the findings they suppressed
    suppressed = {
        (violation["acknowledgedAt"], violation["acknowledgedId"])
        for report in validation_report["pluginReports"]
        for violation in report.get("suppressedViolations", [])
    }
    # When comparing the two
    recorded = {(path, rule) for path, rule, _ in acknowledgments(stack_metadata)}
    # Then no acknowledgment is stale: each one silences a finding this render really has
    assert recorded == suppressed


def test_a_new_finding_fails_the_synth(tmp_path: Path) -> None:
    # Given the app with one more resource that breaks a rule (a queue without TLS enforcement or DLQ)
    app = build_app(context=cdk_json_context(), outdir=str(tmp_path))
    stack = app.node.find_child(SETTINGS.service_name)
    assert isinstance(stack, Stack)
    sqs.Queue(stack, "UnreviewedQueue")
    # When synthesizing
    # Then cdk-nag stops the synth
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
