"""IAM identity-policy evaluation for the embedded AWS: is this role allowed this action on this resource?

Every botocore call made while a function's code runs is checked against that function's role, and every call a
state machine's task makes (a Lambda invoke, a direct DynamoDB integration) against the state machine's role
(``Enforcer``, installed by engine.runtime unless ``EMBEDDED_AWS_IAM=off``). The evaluation follows AWS's logic for
identity-based policies in one account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny wins,
else an Allow is needed, else the request is implicitly denied.

Why not moto's ``moto.iam.access_control.IAMPolicy`` (moto 5.2.5): it matches actions case-sensitively (IAM
action names are case-insensitive), treats only ``*`` as a wildcard (not ``?``) and does not escape regex
characters such as ``.`` in ARNs, ignores ``NotResource``, turns a failed condition on an Allow into a Deny, and
passes any condition operator it does not know (fail-open). Here an unsupported condition is refused with
``UnsupportedCondition`` instead of being judged.
"""

import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

import boto3
import botocore.handlers
from botocore.exceptions import ClientError
from moto.iam.models import iam_backends

PolicyDocument = Mapping[str, Any]

# Condition operators judged here; IfExists variants are handled on top. Source: IAM JSON policy elements,
# Condition operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
_STRING_OPERATORS = {"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "ArnEquals", "ArnLike"}


class Decision(Enum):
    """The outcome of evaluating identity policies for one request."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


class UnsupportedCondition(Exception):
    """A statement has a condition this evaluator does not judge (operator or missing context key)."""


@dataclass(frozen=True)
class Request:
    """One call to authorize: ``action`` as ``service:Operation``, ``resource`` an ARN (or ``*``), and the
    request's condition context (condition key → value(s), keys as IAM spells them, e.g. ``aws:SourceArn``)."""

    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]] | None = None


class AccessDenied(Exception):
    """A denied call, with AWS's message for an identity-policy refusal.

    ``principal``: the caller's ARN (``arn:aws:sts::<account>:assumed-role/<role>/<session>``).
    """

    def __init__(self, principal: str, request: Request, decision: Decision) -> None:
        reason = (
            "with an explicit deny in an identity-based policy"
            if decision is Decision.EXPLICIT_DENY
            else f"because no identity-based policy allows the {request.action} action"
        )
        self.code = "AccessDeniedException"
        super().__init__(
            f"User: {principal} is not authorized to perform: {request.action} on resource: {request.resource} {reason}"
        )


@lru_cache(maxsize=4096)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    """An IAM glob (``*`` any run, ``?`` one character, everything else literal) as an anchored regex."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _matches_any(globs: Any, value: str, case_sensitive: bool) -> bool:
    return any(_pattern(str(g), case_sensitive).match(value) for g in _as_list(globs))


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """All operators and keys of a Condition block hold (AND); values within one key are ORed.

    Raises ``UnsupportedCondition`` for an operator other than the string/ARN ones, or ``ForAnyValue``/
    ``ForAllValues`` set operators.
    """
    lowered = {k.lower(): v for k, v in context.items()}
    for raw_operator, keys in condition.items():
        operator = raw_operator.removesuffix("IfExists")
        if_exists = operator != raw_operator
        if operator not in _STRING_OPERATORS:
            raise UnsupportedCondition(f"condition operator {raw_operator!r} is not judged by the embedded AWS")
        for key, expected in keys.items():
            if key.lower() not in lowered:
                if if_exists:
                    continue
                # A missing key fails a positive operator and satisfies a negated one (AWS's rule).
                if operator.startswith("StringNot"):
                    continue
                return False
            actuals = [str(a) for a in _as_list(lowered[key.lower()])]
            like = operator.endswith("Like") or operator.startswith("Arn")
            negated = operator.startswith("StringNot")
            # String and ARN condition values compare case-sensitively (StringEqualsIgnoreCase is not judged).
            hit = any(
                (_pattern(str(e), case_sensitive=True).match(a) if like else a == str(e))
                for e in _as_list(expected)
                for a in actuals
            )
            if hit == negated:
                return False
    return True


def _statements(policy: PolicyDocument) -> Iterable[Mapping[str, Any]]:
    return _as_list(policy.get("Statement", []))


def _element_applies(statement: Mapping[str, Any], element: str, value: str, *, case_sensitive: bool) -> bool:
    """Whether ``value`` is in the statement's ``element`` (``Action`` or ``Resource``), or not in its ``Not...``."""
    if f"Not{element}" in statement:
        return not _matches_any(statement[f"Not{element}"], value, case_sensitive)
    return _matches_any(statement.get(element, []), value, case_sensitive)


def evaluate(policies: Iterable[PolicyDocument], request: Request) -> Decision:
    """The decision of a set of identity policies for one request.

    ``policies``: IAM policy documents (``{"Version": ..., "Statement": [...]}``) with resolved ARNs.
    Actions are matched case-insensitively, resources case-sensitively, both with ``*`` and ``?`` wildcards.
    Raises ``UnsupportedCondition`` when a statement that applies to the request carries a condition this
    evaluator does not judge (rather than guessing either way).
    """
    context = request.context or {}
    allowed = False
    for policy in policies:
        for statement in _statements(policy):
            if not _element_applies(statement, "Action", request.action, case_sensitive=False):
                continue
            if not _element_applies(statement, "Resource", request.resource, case_sensitive=True):
                continue
            if "Condition" in statement and not _condition_holds(statement["Condition"], context):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def authorize(principal: str, policies: Iterable[PolicyDocument], request: Request) -> None:
    """Raise ``AccessDenied`` (AWS's message) unless ``policies`` allow ``request`` for ``principal``."""
    decision = evaluate(list(policies), request)
    if decision is not Decision.ALLOWED:
        raise AccessDenied(principal, request, decision)


# --- Enforcement on the calls functions make (botocore hook) -------------------------------------------------------

# Operations whose resource is not the request's single named one, or that IAM authorizes on "*" (AWS Service
# Authorization Reference): the per-item actions of a DynamoDB transaction/batch are checked one by one below.
_TRANSACT_ACTIONS = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
}
_BATCH_WRITE_ACTIONS = {"PutRequest": "PutItem", "DeleteRequest": "DeleteItem"}


def requests_of(service: str, operation: str, params: Mapping[str, Any], region: str, account: str) -> list[Request]:
    """The IAM requests (action, resource ARN) one API call makes, for the services the stack's code calls.

    ``service``: the botocore service name (``dynamodb``, ``stepfunctions``, ``sqs``, ``sns``, ``lambda``...);
    ``params``: the call's API parameters. A service or parameter not modelled here yields resource ``*``
    (a grant on ``*`` is then needed, as for actions that support no resource-level permissions).
    Resource formats: AWS Service Authorization Reference, per service.
    """
    prefix = {"stepfunctions": "states"}.get(service, service)

    def table(name: str, index: str | None = None) -> str:
        arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                Request(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(body["TableName"]))
                for item in params.get("TransactItems", [])
                for kind, body in item.items()
            ]
        if operation == "TransactGetItems":
            return [Request("dynamodb:GetItem", table(i["Get"]["TableName"])) for i in params.get("TransactItems", [])]
        if operation == "BatchWriteItem":
            return [
                Request(f"dynamodb:{_BATCH_WRITE_ACTIONS[kind]}", table(name))
                for name, writes in params.get("RequestItems", {}).items()
                for write in writes
                for kind in write
            ]
        if operation == "BatchGetItem":
            return [Request("dynamodb:BatchGetItem", table(name)) for name in params.get("RequestItems", {})]
        if "TableName" in params:
            return [Request(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))]
    if service == "stepfunctions":
        for key in ("executionArn", "stateMachineArn", "activityArn"):
            if key in params:
                return [Request(f"states:{operation}", params[key])]
    if service == "sqs" and "QueueUrl" in params:
        name = str(params["QueueUrl"]).rstrip("/").rsplit("/", 1)[-1]
        return [Request(f"sqs:{operation}", f"arn:aws:sqs:{region}:{account}:{name}")]
    if service == "sns" and "TopicArn" in params:
        return [Request(f"sns:{operation}", params["TopicArn"])]
    if service == "lambda" and "FunctionName" in params:
        name = str(params["FunctionName"])
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
        return [Request(f"lambda:{'InvokeFunction' if operation == 'Invoke' else operation}", arn)]
    if service == "events" and operation == "PutEvents":
        buses = {e.get("EventBusName", "default") for e in params.get("Entries", [])}
        return [
            Request(
                "events:PutEvents", b if b.startswith("arn:") else f"arn:aws:events:{region}:{account}:event-bus/{b}"
            )
            for b in sorted(buses)
        ]
    return [Request(f"{prefix}:{operation}", "*")]


@dataclass(frozen=True)
class Identity:
    """Who a function's calls run as: the assumed-role session ARN and its role's policy documents."""

    principal: str
    policies: tuple[PolicyDocument, ...]

    def without(self, action: str) -> "Identity":
        """This identity with ``action`` (as spelt in the policies) taken out of every statement's ``Action``, as if
        the stack had not granted it; a statement left without actions is dropped, NotAction statements are kept."""

        def remaining(statement: Mapping[str, Any]) -> dict[str, Any]:
            if "Action" not in statement:
                return dict(statement)
            return {**statement, "Action": [a for a in _as_list(statement["Action"]) if a != action]}

        policies = tuple(
            {**policy, "Statement": [s for s in map(remaining, _statements(policy)) if s.get("Action", True)]}
            for policy in self.policies
        )
        return Identity(self.principal, policies)


def role_identity(role_arn: str, session_name: str, account: str) -> Identity:
    """The identity of a role deployed into moto IAM: its inline policies and attached managed policies.

    ``role_arn``: ``arn:aws:iam::<account>:role/<name>``. The principal is the STS assumed-role ARN Lambda uses
    (session name = the function name). Raises KeyError for a role not deployed.
    """
    name = role_arn.rsplit("/", 1)[-1]
    role = iam_backends[account]["aws"].get_role(name)
    documents: list[PolicyDocument] = [json.loads(d) if isinstance(d, str) else d for d in role.policies.values()]
    for managed in role.managed_policies.values():
        version = next(v for v in managed.versions if v.is_default)
        document = version.document
        documents.append(json.loads(document) if isinstance(document, str) else document)
    return Identity(f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}", tuple(documents))


class Enforcer:
    """Authorizes every botocore call made while a function's code runs against that function's role.

    ``identities``: function name → Identity; ``current_function``: the name of the function whose code runs on
    this thread (None outside handlers: the engine's and the tests' own calls are not checked).
    A denied call raises botocore's ``ClientError`` with code ``AccessDeniedException`` and AWS's message, before
    anything is sent (so nothing changes on the embedded AWS).
    """

    def __init__(
        self,
        identities: Mapping[str, Identity],
        current_function: Callable[[], str | None],
        region: str,
        account: str,
    ) -> None:
        self.identities = dict(identities)
        self.current_function = current_function
        self.region = region
        self.account = account
        self.checked = 0

    def check(self, params: Mapping[str, Any], model: Any, context: Mapping[str, Any] | None = None, **_: Any) -> None:
        """botocore's ``before-parameter-build`` handler: authorize the call about to be built (see authorize_call)."""
        caller = (context or {}).get(_CALLER) or self.current_function()
        self.authorize_call(caller, model.service_model.service_name, model.name, params)

    def authorize_call(self, caller: str | None, service: str, operation: str, params: Mapping[str, Any]) -> None:
        """Authorize one API call (``service`` as botocore names it, ``operation`` as ``PutItem``) made by ``caller``.

        A caller without an identity (None: the engine's and the tests' own calls) is not checked. Raises
        ClientError with code AccessDeniedException and AWS's message when a request of the call is denied.
        """
        identity = self.identities.get(caller) if caller else None
        if identity is None:
            return
        for request in requests_of(service, operation, params, self.region, self.account):
            self.checked += 1
            decision = evaluate(identity.policies, request)
            if decision is not Decision.ALLOWED:
                denied = AccessDenied(identity.principal, request, decision)
                metadata = {"HTTPStatusCode": _DENIED_STATUS.get(service, 400), "RequestId": str(uuid.uuid4())}
                error = {"Code": denied.code, "Message": str(denied)}
                raise ClientError({"Error": error, "ResponseMetadata": metadata}, operation)


# The HTTP status of an AccessDeniedException: 403 from Lambda (the Invoke API reference), 400 from the JSON
# protocol services (DynamoDB, Step Functions, SQS).
_DENIED_STATUS = {"lambda": 403}
_ACTIVE: list[Enforcer] = []
# The key, in a botocore call's request context, of the caller a client was marked with (``calls_as``).
_CALLER = "embedded_aws_caller"
STATE_MACHINE = "state machine"


def authorize_call(caller: str, service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Authorize a call the engine makes without botocore on a caller's behalf (a state machine's in-process Lambda
    task) as the active Enforcer would have; a no-op while none is active. Raises as Enforcer.authorize_call."""
    if _ACTIVE:
        _ACTIVE[-1].authorize_call(caller, service, operation, params)


def calls_as(client: Any, caller: str) -> Any:
    """Mark ``client``'s calls as made by ``caller`` (a key of the Enforcer's identities, e.g. STATE_MACHINE),
    whatever function's code is running on the thread; returns the client."""

    def mark(context: dict[str, Any], **_: Any) -> None:
        context[_CALLER] = caller

    client.meta.events.register_first("before-parameter-build", mark, unique_id=f"{_CALLER}:{caller}")
    return client


def _check_active(params: Mapping[str, Any], model: Any, **kwargs: Any) -> None:
    if _ACTIVE:
        _ACTIVE[-1].check(params, model, **kwargs)


def hook_botocore() -> None:
    """Hook every botocore session, present and future, once (a no-op while no Enforcer is active).

    Call it before any client the checked code uses is created: a client copies its session's handlers.
    """
    entry = ("before-parameter-build", _check_active)
    if entry not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(entry)
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.unregister("before-parameter-build", _check_active)
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", _check_active)


class enforced:
    """Enforce ``enforcer`` while the block runs (nestable; the innermost wins)."""

    def __init__(self, enforcer: Enforcer) -> None:
        self.enforcer = enforcer

    def __enter__(self) -> Enforcer:
        hook_botocore()
        _ACTIVE.append(self.enforcer)
        return self.enforcer

    def __exit__(self, *_: object) -> None:
        _ACTIVE.remove(self.enforcer)


# Opt-out, for a run that only wants speed: EMBEDDED_AWS_IAM=off (enforced by default).
SWITCH = "EMBEDDED_AWS_IAM"


def is_enforced() -> bool:
    """Whether IAM is enforced (the default) or switched off with ``EMBEDDED_AWS_IAM=off``."""
    return os.environ.get(SWITCH, "on").lower() not in {"off", "0", "false", "no"}


def function_enforcer(
    function_names: Iterable[str], current_function: Callable[[], str | None], region: str, account: str
) -> Enforcer:
    """An Enforcer for the deployed functions, each running as its own execution role (from moto Lambda and IAM).

    ``current_function``: the name of the function whose code runs on this thread, None outside handlers.
    """
    client = boto3.client("lambda", region_name=region)
    identities = {
        name: role_identity(client.get_function_configuration(FunctionName=name)["Role"], name, account)
        for name in function_names
    }
    return Enforcer(identities, current_function, region, account)
