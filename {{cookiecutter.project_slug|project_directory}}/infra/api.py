"""The REST API: POST /<domain plural> (idempotent create) and GET /<domain plural>/{id}, in kebab-case."""

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigateway
from constructs import Construct

from infra.functions import FunctionFactory, log_group
from infra.request_validation import gateway_error_templates, request_body_schema
from infra.saga_model import pascal
from infra.settings import ServiceSettings
from infra.storage import Storage

from {{ cookiecutter.package_name }}.configuration import CreateConfiguration, ReadConfiguration
from {{ cookiecutter.package_name }}.models import {{ cookiecutter.domain | pascal }}Request

IDEMPOTENCY_KEY_HEADER = "method.request.header.Idempotency-Key"
# API Gateway gives up after 29 s; a shorter Lambda timeout returns the function's own error instead.
API_FUNCTION_TIMEOUT = Duration.seconds(15)


class Api(Construct):
    def __init__(
        self, scope: Construct, id: str, *, settings: ServiceSettings, functions: FunctionFactory, storage: Storage
    ) -> None:
        super().__init__(scope, id)
        entity = pascal(settings.domain)
        handlers = f"{settings.package_name}.handlers"

        self.create_function = functions.create(
            self,
            f"Create{entity}Function",
            handler=f"{handlers}.create_{settings.domain}.handler",
            description=f"POST {settings.route}: stores the {settings.domain} and its outbox event, idempotently",
            environment=CreateConfiguration(
                entity_table_name=storage.entity_table.table_name,
                outbox_table_name=storage.outbox_table.table_name,
                idempotency_table_name=storage.idempotency_table.table_name,
                idempotency_ttl_seconds=settings.idempotency_ttl_hours * 3600,
                outbox_retention_days=settings.outbox_retention_days,
            ).as_environment(),
            timeout=API_FUNCTION_TIMEOUT,
        )
        # The Powertools persistence layer's calls.
        storage.idempotency_table.grant(
            self.create_function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        # The two Puts of the create transaction; GetItem answers a retry that outlived its idempotency record.
        storage.entity_table.grant(self.create_function, "dynamodb:PutItem", "dynamodb:GetItem")
        storage.outbox_table.grant(self.create_function, "dynamodb:PutItem")

        self.get_function = functions.create(
            self,
            f"Get{entity}Function",
            handler=f"{handlers}.get_{settings.domain}.handler",
            description=f"GET {settings.route}/<id>: the {settings.domain} and the progress of its saga",
            environment=ReadConfiguration(entity_table_name=storage.entity_table.table_name).as_environment(),
            timeout=API_FUNCTION_TIMEOUT,
        )
        storage.entity_table.grant(self.get_function, "dynamodb:GetItem")

        access_logs = log_group(self, "AccessLogs")
        self.rest_api = apigateway.RestApi(
            self,
            f"{pascal(settings.domain_plural)}Api",
            rest_api_name=settings.service_name,
            description=f"{settings.service_name}: idempotent intake of {settings.domain_plural}",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigateway.StageOptions(
                tracing_enabled=settings.tracing_enabled,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
            default_method_options=apigateway.MethodOptions(
                authorization_type=(
                    apigateway.AuthorizationType.IAM
                    if settings.api_auth == "iam"
                    else apigateway.AuthorizationType.NONE
                )
            ),
        )
        validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        # The create handler's own request model, as draft 4: API Gateway refuses exactly the bodies the handler
        # would, before they cost an invocation (infra/request_validation.py).
        request_schema = request_body_schema({{ cookiecutter.domain | pascal }}Request)
        request_model = apigateway.CfnModel(
            self.rest_api,
            f"{entity}Request",
            rest_api_id=self.rest_api.rest_api_id,
            content_type="application/json",
            schema=request_schema,
        )
        # A deployment is a snapshot of the API: a changed model must make a new one, as RestApi.add_model's do.
        assert self.rest_api.latest_deployment is not None
        self.rest_api.latest_deployment.add_to_logical_id({"requestModel": request_schema})
        # What the validator refuses is answered in the handlers' ApiError shape, not API Gateway's {"message"}.
        for response_type, body in gateway_error_templates(settings.domain).items():
            self.rest_api.add_gateway_response(
                pascal(response_type.lower()),
                type=apigateway.ResponseType.of(response_type),
                status_code="400",
                templates={"application/json": body},
            )

        # Replaced by the stack's ApiUrl output, whose name carries no hash that changes with the construct path.
        self.rest_api.node.try_remove_child("Endpoint")

        collection = self.rest_api.root.resource_for_path(settings.route)
        collection.add_method(
            "POST",
            apigateway.LambdaIntegration(self.create_function, allow_test_invoke=False),
            request_parameters={IDEMPOTENCY_KEY_HEADER: True},
            request_models={
                "application/json": apigateway.Model.from_model_name(self, "RequestModel", request_model.ref)
            },
            request_validator=validator,
        )
        collection.add_resource("{id}").add_method(
            "GET",
            apigateway.LambdaIntegration(self.get_function, allow_test_invoke=False),
            request_parameters={"method.request.path.id": True},
            request_validator=validator,
        )
