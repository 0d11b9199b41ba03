"""The local API routes as the deployed API Gateway does, from the template's resources and methods.

Most tests route over a template of their own (every kind of resource: literal, ``{id}``, greedy ``{proxy+}``, a
MOCK integration) and a fake in place of Lambda, which records each invoke; the last reads the fixture stack's
synthesized template, as CDK writes it.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.services.apigateway import LOCAL_CALLER_ARN, LOCAL_CALLER_HEADER, LocalApi, routes_of
from embedded_aws.services.awslambda import Invocation, LambdaServiceException
from fixture_stack import COLLECTION

REGION = "eu-west-1"

ROOT = {"Fn::GetAtt": ["Api", "RootResourceId"]}


def resource(parent: Any, part: str) -> dict[str, Any]:
    return {"Type": "AWS::ApiGateway::Resource", "Properties": {"ParentId": parent, "PathPart": part}}


def method(resource_id: Any, http_method: str, function: str | None) -> dict[str, Any]:
    """A method as CDK writes it: a Lambda proxy integration whose Uri embeds the function's Fn::GetAtt Arn."""
    uri = {"Fn::Join": ["", ["arn:aws:apigateway:...:lambda:path/functions/", {"Fn::GetAtt": [function, "Arn"]}]]}
    integration = {"Type": "AWS_PROXY", "Uri": uri} if function else {"Type": "MOCK"}
    return {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {"HttpMethod": http_method, "ResourceId": resource_id, "Integration": integration},
    }


TEMPLATE = {
    "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "Items": resource(ROOT, "items"),
        "Item": resource({"Ref": "Items"}, "{id}"),
        "Latest": resource({"Ref": "Items"}, "latest"),
        "Files": resource(ROOT, "files"),
        "FilesProxy": resource({"Ref": "Files"}, "{proxy+}"),
        "RootGet": method(ROOT, "GET", "RootFn"),
        "ItemsPost": method({"Ref": "Items"}, "POST", "CreateFn"),
        "ItemsOptions": method({"Ref": "Items"}, "OPTIONS", None),
        "ItemGet": method({"Ref": "Item"}, "GET", "GetFn"),
        "ItemDelete": method({"Ref": "Item"}, "DELETE", "DeleteFn"),
        "LatestGet": method({"Ref": "Latest"}, "GET", "LatestFn"),
        "FilesAny": method({"Ref": "FilesProxy"}, "ANY", "FilesFn"),
        "RootFn": {"Type": "AWS::Lambda::Function", "Properties": {}},
    }
}
PHYSICAL_IDS = {name: f"deployed-{name}" for name in ("RootFn", "CreateFn", "GetFn", "DeleteFn", "LatestFn", "FilesFn")}


class FakeAws:
    """Records each invoke and answers with a proxy response (or the given failure)."""

    def __init__(self, template: dict[str, Any] = TEMPLATE, physical_ids: dict[str, str] = PHYSICAL_IDS) -> None:
        self.stack = DeployedStack("stack", template, {}, physical_ids)
        self.region = REGION
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.answer: Invocation | Exception = Invocation(
            {
                "statusCode": 200,
                "headers": {"Content-Type": "application/json", "X-One": "1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": json.dumps({"ok": True}),
                "isBase64Encoded": False,
            }
        )

    def invoke(self, function_name: str, event: dict[str, Any]) -> Invocation:
        self.invocations.append((function_name, event))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def aws() -> FakeAws:
    return FakeAws()


@pytest.fixture
def api(aws: FakeAws) -> LocalApi:
    return LocalApi(aws)


def test_given_an_unknown_path_when_requested_then_404_with_a_json_body_and_no_function_runs(
    api: LocalApi, aws: FakeAws
) -> None:
    response = api.request("GET", "/nothing/here")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.body["error"] == "not_found"
    assert api.request("GET", "/items/1/extra").status_code == 404
    assert aws.invocations == []


def test_given_a_known_path_when_requested_with_another_method_then_405_naming_the_allowed_ones(
    api: LocalApi, aws: FakeAws
) -> None:
    response = api.request("PUT", "/items")
    assert response.status_code == 405
    assert response.body["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "POST"
    assert api.request("post", "/items/1").headers["Allow"] == "DELETE, GET"
    assert aws.invocations == []


def test_given_a_mock_integration_when_routing_then_it_is_not_served_as_a_function(api: LocalApi) -> None:
    assert api.request("OPTIONS", "/items").status_code == 405


def test_given_a_path_parameter_when_requested_then_the_resource_function_gets_it(api: LocalApi, aws: FakeAws) -> None:
    assert api.request("GET", "/items/abc-1").status_code == 200
    ((function, event),) = aws.invocations
    assert function == "deployed-GetFn"
    assert event["pathParameters"] == {"id": "abc-1"}
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/abc-1"
    assert event["requestContext"]["resourcePath"] == "/items/{id}"
    assert event["requestContext"]["path"] == "/items/abc-1"


def test_given_the_stage_in_the_path_when_requested_then_the_route_is_found_and_the_called_path_keeps_it(
    api: LocalApi, aws: FakeAws
) -> None:
    # Given a URL as the execute-api endpoint has it, the stage first
    # When it is requested
    assert api.request("GET", "/prod/items/abc-1").status_code == 200
    # Then the route sees its own path, and requestContext.path the one the client called (as API Gateway fills them)
    ((_, event),) = aws.invocations
    assert (event["path"], event["requestContext"]["path"]) == ("/items/abc-1", "/prod/items/abc-1")
    assert api.request("GET", "/prod").status_code == 200  # the root resource, through the stage
    assert api.request("GET", "/staging/items/1").status_code == 404


def test_given_a_header_sent_on_several_lines_then_multi_value_headers_has_each_and_headers_the_last(
    api: LocalApi, aws: FakeAws
) -> None:
    # Given header lines as a client sends them, one name twice in different case
    lines = [("Idempotency-Key", "k-1"), ("X-Other", "o"), ("idempotency-key", "k-2")]
    # When they are proxied
    api.request("POST", "/items", lines, body="{}")
    # Then API Gateway's two fields: every value in order, and the last one
    ((_, event),) = aws.invocations
    assert event["multiValueHeaders"] == {"Idempotency-Key": ["k-1", "k-2"], "X-Other": ["o"]}
    assert event["headers"] == {"Idempotency-Key": "k-2", "X-Other": "o"}


def test_given_an_iam_method_then_the_identity_names_the_local_caller_and_the_local_header_is_not_forwarded() -> None:
    # Given a method with AWS_IAM authorization and one without
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["ItemsPost"]["Properties"]["AuthorizationType"] = "AWS_IAM"
    aws = FakeAws(template)
    api = LocalApi(aws)
    alice = "arn:aws:iam::123456789012:user/alice"
    # When each is requested, once naming a caller in the local-only header and once not
    api.request("POST", "/items", {LOCAL_CALLER_HEADER: alice}, body="{}")
    api.request("POST", "/items", body="{}")
    api.request("GET", "/items/1", {LOCAL_CALLER_HEADER: alice})
    # Then the IAM method's identity names that principal (or the default local caller), the other names nobody,
    # and the handler never sees the local header
    identities = [event["requestContext"]["identity"] for _, event in aws.invocations]
    assert [identity["userArn"] for identity in identities] == [alice, LOCAL_CALLER_ARN, None]
    assert identities[0]["accountId"] == "123456789012"
    assert all(LOCAL_CALLER_HEADER not in event["headers"] for _, event in aws.invocations)


def signed(url: str, region: str = REGION, service: str = "execute-api") -> dict[str, str]:
    """The headers botocore's SigV4 signer adds to a POST of ``{}`` to ``url``, with made-up credentials."""
    request = AWSRequest(method="POST", url=url, data=b"{}", headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIDLOCAL", "any-secret"), service, region).add_auth(request)
    return dict(request.headers.items())


def iam_api() -> tuple[LocalApi, FakeAws]:
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["ItemsPost"]["Properties"]["AuthorizationType"] = "AWS_IAM"
    aws = FakeAws(template)
    return LocalApi(aws, check_signatures=True), aws


@pytest.mark.parametrize(
    ("headers", "error_type", "message"),
    [
        ({}, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        ({"Authorization": "Bearer token"}, "IncompleteSignatureException", "requires 'Credential' parameter"),
        (signed("http://localhost/items", region="us-west-2"), "InvalidSignatureException", "valid region"),
        (signed("http://localhost/items", service="s3"), "InvalidSignatureException", "correct service"),
    ],
    ids=["unsigned", "not-sigv4", "other-region", "other-service"],
)
def test_given_signatures_checked_when_an_iam_method_gets_no_valid_signature_then_403_and_nothing_runs(
    headers: dict[str, str], error_type: str, message: str
) -> None:
    # Given the API as `make serve` runs it, with an AWS_IAM method
    api, aws = iam_api()
    # When the method is called unsigned, or signed for another scheme, region or service
    response = api.request("POST", "/items", headers, body="{}")
    # Then it is refused as API Gateway refuses it, before any function runs
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (403, error_type)
    assert message in response.body["message"]
    assert aws.invocations == []


def test_given_signatures_checked_when_signed_with_any_credentials_then_the_method_runs_and_others_need_none() -> None:
    # Given the API as `make serve` runs it, with an AWS_IAM method and a method without authorization
    api, aws = iam_api()
    # When the IAM method is called SigV4-signed with made-up credentials, and the other one unsigned
    signed_post = api.request("POST", "/items", signed("http://localhost:3000/items"), body="{}")
    unsigned_get = api.request("GET", "/items/1")
    # Then both reach their functions, the signed call as the local caller
    assert (signed_post.status_code, unsigned_get.status_code) == (200, 200)
    assert aws.invocations[0][1]["requestContext"]["identity"]["userArn"] == LOCAL_CALLER_ARN


def test_given_a_literal_and_a_parameter_resource_when_both_match_then_the_literal_wins(
    api: LocalApi, aws: FakeAws
) -> None:
    api.request("GET", "/items/latest")
    assert [function for function, _ in aws.invocations] == ["deployed-LatestFn"]
    # The resource is chosen first: a method the literal resource lacks does not fall back to {id}.
    assert api.request("DELETE", "/items/latest").status_code == 405


def test_given_a_greedy_proxy_with_any_when_requested_then_every_method_and_depth_reaches_it(
    api: LocalApi, aws: FakeAws
) -> None:
    api.request("DELETE", "/files/a/b/c.txt")
    ((function, event),) = aws.invocations
    assert function == "deployed-FilesFn"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert api.request("GET", "/files").status_code == 405  # {proxy+} needs at least one segment


def test_given_the_root_and_trailing_slashes_when_requested_then_they_route_like_api_gateway(
    api: LocalApi, aws: FakeAws
) -> None:
    api.request("GET", "/")
    api.request("POST", "/items/", body={})
    assert [function for function, _ in aws.invocations] == ["deployed-RootFn", "deployed-CreateFn"]
    assert aws.invocations[1][1]["path"] == "/items"


def test_when_a_request_is_proxied_then_header_case_body_string_and_query_are_kept(api: LocalApi, aws: FakeAws) -> None:
    api.request(
        "POST",
        "/items",
        headers={"Idempotency-Key": "k-1"},
        body={"name": "x"},
        query={"single": "1", "many": ["a", "b"]},
    )
    ((_, event),) = aws.invocations
    assert event["httpMethod"] == "POST"
    assert event["headers"] == {"Idempotency-Key": "k-1", "Content-Type": "application/json"}
    assert event["multiValueHeaders"]["Idempotency-Key"] == ["k-1"]
    assert event["body"] == '{"name": "x"}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"single": "1", "many": "b"}
    assert event["multiValueQueryStringParameters"] == {"single": ["1"], "many": ["a", "b"]}
    assert event["pathParameters"] is None
    assert event["requestContext"]["httpMethod"] == "POST"
    assert event["requestContext"]["stage"] == "prod"


def test_given_a_query_string_in_the_path_when_no_query_is_passed_then_it_becomes_the_query(
    api: LocalApi, aws: FakeAws
) -> None:
    api.request("GET", "/items/1?page=2&tag=a&tag=b")
    ((_, event),) = aws.invocations
    assert event["path"] == "/items/1"
    assert event["queryStringParameters"] == {"page": "2", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"page": ["2"], "tag": ["a", "b"]}


def test_given_a_string_body_when_proxied_then_it_is_sent_as_is_with_the_callers_headers(
    api: LocalApi, aws: FakeAws
) -> None:
    api.request("POST", "/items", headers={"content-type": "text/plain"}, body="not json")
    ((_, event),) = aws.invocations
    assert event["body"] == "not json"
    assert event["headers"] == {"content-type": "text/plain"}
    assert event["queryStringParameters"] is None


def test_when_the_function_answers_then_headers_and_multi_value_headers_are_merged_and_json_parsed(
    api: LocalApi,
) -> None:
    response = api.request("GET", "/items/1")
    assert response.status_code == 200
    assert response.body == {"ok": True}
    assert response.headers == {"Content-Type": "application/json", "X-One": "1", "Set-Cookie": "a=1, b=2"}


def test_given_a_text_response_when_answered_then_the_body_stays_text(api: LocalApi, aws: FakeAws) -> None:
    aws.answer = Invocation({"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "[1]"})
    response = api.request("GET", "/items/1")
    assert response.body == "[1]"
    assert response.raw_body == b"[1]"


@pytest.mark.parametrize(
    ("answer", "status_code"),
    [
        (Invocation({"errorType": "Boom", "errorMessage": "x"}, "Boom"), 502),  # the function raised or crashed
        (Invocation({"no": "statusCode"}), 502),  # not a proxy response
        (LambdaServiceException("down"), 500),  # the Lambda service failed the invoke
    ],
)
def test_given_a_failed_invoke_when_requested_then_api_gateway_errors_are_answered(
    api: LocalApi, aws: FakeAws, answer: Invocation | Exception, status_code: int
) -> None:
    aws.answer = answer
    response = api.request("GET", "/items/1")
    assert response.status_code == status_code
    assert response.body == {"message": "Internal server error"}


def test_given_the_synthesized_fixture_stack_then_the_routes_are_the_collection_and_its_items(assembly: Path) -> None:
    # Given the fixture app's template, as `cdk synth` wrote it (CDK's resources, methods and integration URIs)
    template = json.loads(next(assembly.glob("*.template.json")).read_text(encoding="utf-8"))
    resources = template["Resources"]
    identity = {logical_id: logical_id for logical_id in resources}
    # When its routes are read
    routes = {route.resource: route.methods for route in routes_of(DeployedStack("s", template, {}, identity))}
    # Then they are POST on the collection and GET on its items, each proxied to its own function
    assert set(routes) == {COLLECTION, COLLECTION + "/{id}"}
    handlers = {
        (resource_path, http_method): resources[function]["Properties"]["Handler"]
        for resource_path, methods in routes.items()
        for http_method, function in methods.items()
    }
    assert handlers == {
        (COLLECTION, "POST"): "fixture_create.handler",
        (COLLECTION + "/{id}", "GET"): "fixture_get.handler",
    }
