"""The identity-policy evaluator (engine.iam): wildcards, NotAction, NotResource, Deny wins, conditions refused."""

from typing import Any

import pytest
from embedded_aws.engine.iam import (
    AccessDenied,
    Decision,
    Identity,
    Request,
    UnsupportedCondition,
    authorize,
    evaluate,
    requests_of,
)

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"
ROLE_SESSION = "arn:aws:sts::123456789012:assumed-role/CreateRole/create"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_given_a_grant_on_the_table_when_its_index_is_queried_then_implicitly_denied() -> None:
    # Given an Allow on the table's ARN only (as CDK's grantReadData writes it, without the /index/* entry)
    policies = [policy(allow("dynamodb:Query", TABLE))]
    # When the table and one of its indexes are queried
    # Then the table is allowed and the index is not: resources match whole ARNs
    assert evaluate(policies, Request("dynamodb:Query", TABLE)) is Decision.ALLOWED
    assert evaluate(policies, Request("dynamodb:Query", f"{TABLE}/index/byCustomer")) is Decision.IMPLICIT_DENY


def test_given_wildcards_when_matched_then_star_and_question_mark_glob_and_actions_ignore_case() -> None:
    # Given an Allow with a wildcard action and wildcard resources
    policies = [policy(allow("dynamodb:*Item", [f"{TABLE}/index/*", "arn:aws:sqs:us-east-1:123456789012:q?"]))]
    # When requests match or miss the globs
    # Then * spans any run, ? one character, and the action name is case-insensitive
    assert evaluate(policies, Request("DynamoDB:updateitem", f"{TABLE}/index/a")) is Decision.ALLOWED
    assert evaluate(policies, Request("dynamodb:PutItem", "arn:aws:sqs:us-east-1:123456789012:q1")) is Decision.ALLOWED
    assert evaluate(policies, Request("dynamodb:PutItem", "arn:aws:sqs:us-east-1:123456789012:q12")) is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate(policies, Request("dynamodb:Query", f"{TABLE}/index/a")) is Decision.IMPLICIT_DENY


def test_given_a_dot_in_a_resource_when_matched_then_it_is_literal() -> None:
    # Given a resource with a '.' (a regex metacharacter in a naive translation)
    policies = [policy(allow("sns:Publish", "arn:aws:sns:us-east-1:123456789012:a.b"))]
    # When another character stands in its place, then it does not match
    assert evaluate(policies, Request("sns:Publish", "arn:aws:sns:us-east-1:123456789012:aXb")) is (
        Decision.IMPLICIT_DENY
    )


def test_given_not_action_when_evaluated_then_it_applies_to_every_other_action() -> None:
    # Given an Allow for everything except DeleteItem
    policies = [policy({"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"})]
    # Then DeleteItem is implicitly denied and the rest allowed
    assert evaluate(policies, Request("dynamodb:DeleteItem", TABLE)) is Decision.IMPLICIT_DENY
    assert evaluate(policies, Request("dynamodb:PutItem", TABLE)) is Decision.ALLOWED


def test_given_not_resource_when_evaluated_then_it_applies_to_every_other_resource() -> None:
    policies = [policy({"Effect": "Allow", "Action": "dynamodb:*", "NotResource": TABLE})]
    assert evaluate(policies, Request("dynamodb:PutItem", TABLE)) is Decision.IMPLICIT_DENY
    assert evaluate(policies, Request("dynamodb:PutItem", f"{TABLE}2")) is Decision.ALLOWED


def test_given_an_allow_and_a_deny_in_two_policies_when_evaluated_then_deny_wins() -> None:
    policies = [policy(allow("*", "*")), policy({"Effect": "Deny", "Action": "dynamodb:UpdateItem", "Resource": TABLE})]
    assert evaluate(policies, Request("dynamodb:UpdateItem", TABLE)) is Decision.EXPLICIT_DENY
    assert evaluate(policies, Request("dynamodb:GetItem", TABLE)) is Decision.ALLOWED


def test_given_no_grant_when_authorized_then_access_denied_names_caller_action_and_resource() -> None:
    # Given a role allowed only to read
    policies = [policy(allow("dynamodb:GetItem", TABLE))]
    # When it updates an item
    with pytest.raises(AccessDenied) as denied:
        authorize(ROLE_SESSION, policies, Request("dynamodb:UpdateItem", TABLE))
    # Then the error reads as AWS's
    assert denied.value.code == "AccessDeniedException"
    assert str(denied.value) == (
        f"User: {ROLE_SESSION} is not authorized to perform: dynamodb:UpdateItem on resource: {TABLE} "
        "because no identity-based policy allows the dynamodb:UpdateItem action"
    )


def test_given_string_conditions_when_the_context_matches_or_not_then_the_statement_applies_or_not() -> None:
    # Given an Allow conditioned on the source ARN (StringLike) and a key that must be absent-or-equal (IfExists)
    statement = allow(
        "lambda:InvokeFunction",
        "*",
        Condition={
            "ArnLike": {"aws:SourceArn": "arn:aws:states:*"},
            "StringEqualsIfExists": {"aws:SourceAccount": "1"},
        },
    )
    policies = [policy(statement)]
    # Then a matching context allows, a different source or a missing key does not
    assert evaluate(policies, Request("lambda:InvokeFunction", "f", {"aws:SourceArn": "arn:aws:states:x"})) is (
        Decision.ALLOWED
    )
    assert evaluate(policies, Request("lambda:InvokeFunction", "f", {"aws:SourceArn": "arn:aws:sns:x"})) is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate(policies, Request("lambda:InvokeFunction", "f")) is Decision.IMPLICIT_DENY


def test_given_an_unsupported_condition_when_it_applies_then_the_evaluator_refuses_to_judge() -> None:
    # Given a statement with a numeric condition operator the evaluator does not judge
    policies = [
        policy(allow("dynamodb:PutItem", TABLE, Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "1"}}))
    ]
    # When a request it applies to is evaluated, then it is refused rather than guessed
    with pytest.raises(UnsupportedCondition, match="NumericLessThan"):
        evaluate(policies, Request("dynamodb:PutItem", TABLE))
    # And a request it does not apply to is unaffected
    assert evaluate(policies, Request("dynamodb:GetItem", TABLE)) is Decision.IMPLICIT_DENY


def test_given_a_transaction_when_its_requests_are_computed_then_each_item_is_its_own_action_and_table() -> None:
    # Given a TransactWriteItems over two tables, one condition check and one put
    params = {"TransactItems": [{"ConditionCheck": {"TableName": "A"}}, {"Put": {"TableName": "B", "Item": {}}}]}
    # When the IAM requests are computed, then each item is authorized as IAM does, on its table's ARN
    assert requests_of("dynamodb", "TransactWriteItems", params, "us-east-1", "123456789012") == [
        Request("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:us-east-1:123456789012:table/A"),
        Request("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/B"),
    ]


def test_given_calls_of_other_services_when_computed_then_arns_follow_each_services_format() -> None:
    region, account = "us-east-1", "123456789012"
    query = requests_of("dynamodb", "Query", {"TableName": "T", "IndexName": "I"}, region, account)
    assert query == [Request("dynamodb:Query", f"arn:aws:dynamodb:{region}:{account}:table/T/index/I")]
    start = requests_of("stepfunctions", "StartExecution", {"stateMachineArn": "arn:sm"}, region, account)
    assert start == [Request("states:StartExecution", "arn:sm")]
    send = requests_of("sqs", "SendMessage", {"QueueUrl": f"https://sqs/{account}/q"}, region, account)
    assert send == [Request("sqs:SendMessage", f"arn:aws:sqs:{region}:{account}:q")]
    invoke = requests_of("lambda", "Invoke", {"FunctionName": "f"}, region, account)
    assert invoke == [Request("lambda:InvokeFunction", f"arn:aws:lambda:{region}:{account}:function:f")]
    assert requests_of("xray", "PutTraceSegments", {}, region, account) == [Request("xray:PutTraceSegments", "*")]


def test_given_an_identity_without_one_action_then_only_that_grant_is_gone() -> None:
    # Given a role granting two actions in one statement, one in another, and a NotAction statement
    identity = Identity(
        ROLE_SESSION,
        (
            policy(
                allow(["dynamodb:GetItem", "dynamodb:UpdateItem"], TABLE),
                allow("dynamodb:UpdateItem", f"{TABLE}/index/*"),
                {"Effect": "Deny", "NotAction": "dynamodb:GetItem", "Resource": "arn:aws:s3:::*"},
            ),
        ),
    )
    # When UpdateItem is taken away
    reduced = identity.without("dynamodb:UpdateItem")
    # Then UpdateItem is denied everywhere, GetItem still allowed, and the NotAction statement kept as it was
    assert evaluate(reduced.policies, Request("dynamodb:UpdateItem", TABLE)) is Decision.IMPLICIT_DENY
    assert evaluate(reduced.policies, Request("dynamodb:GetItem", TABLE)) is Decision.ALLOWED
    assert reduced.policies[0]["Statement"][-1] == identity.policies[0]["Statement"][-1]
    assert len(reduced.policies[0]["Statement"]) == 2
