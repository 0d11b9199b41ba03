"""Run a deployed function's own handler in this process, with that function's deployed configuration."""

import contextvars
import copy
import importlib.util
import itertools
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import boto3
from aws_lambda_powertools import Metrics
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

from embedded_aws.engine import iam
from embedded_aws.engine.faults import FaultInjector, FaultKind, business_error

Handler = Callable[[dict[str, Any], Any], Any]


# Lambda's default function timeout, when the deployed configuration names none (Lambda API, CreateFunction).
DEFAULT_TIMEOUT_SECONDS = 3


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS

    def get_remaining_time_in_millis(self) -> int:
        """The whole timeout: the emulation does not count an invocation's time down."""
        return self.timeout_seconds * 1000


# Imports read os.environ, which holds one function's configuration at a time.
_IMPORTING = threading.Lock()
# The execution environment whose code runs on this thread (its import or an invocation), None outside them.
CURRENT_ENVIRONMENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("environment", default=None)
_ENVIRONMENT_NUMBERS = itertools.count(1)

ENVIRONMENTS_PER_FUNCTION = 4
# Far longer than any invocation here takes: reached only when invocations wait on each other in a cycle.
ENVIRONMENT_WAIT_SECONDS = 60.0


def current_function_name() -> str | None:
    """The name of the function whose code (its import or an invocation) runs on this thread, None outside them."""
    environment = CURRENT_ENVIRONMENT.get()
    return environment.split("#", 1)[0] if environment else None


class InvocationTimedOut(BaseException):
    """Raised inside a handler to stand for Lambda ending the invocation at the function's timeout.

    A BaseException, so that the handler's own ``except Exception`` cannot catch it, as no code can catch the
    runtime stopping it: nothing after the raise point runs (no result written, no error mapped). The caller
    sees Lambda's timeout error, ``Sandbox.Timedout`` (Lambda developer guide, "Troubleshoot invocation
    issues": the error type of a timed-out invocation; Step Functions' guide counts function timeouts among
    the unhandled errors, and the ASL retries both names).
    """


class LambdaServiceException(JsonRESTError):
    """What the Lambda service answers when it fails an invoke: callers see ``Lambda.ServiceException``."""

    code = 500
    error_type = "ServiceException"

    def __init__(self, message: str) -> None:
        super().__init__(self.error_type, message)


class LambdaThrottled(LambdaServiceException):
    """What Lambda answers when a function has no concurrency left: ``Lambda.TooManyRequestsException``."""

    code = 429
    error_type = "TooManyRequestsException"


class LocalFunction:
    """A deployed function: its handler run in this process with its deployed configuration.

    As on AWS, an execution environment (here: a private instance of the handler's module) serves one
    invocation at a time, and concurrent invocations get environments of their own. Handler modules
    keep state between invocations (Powertools' metric set, for one), which two threads must not share
    (see metrics_per_environment for the state Powertools keeps in its classes).

    Unlike AWS, a function has at most ``max_environments``: further concurrent invocations wait for one
    to be free. Handlers share one interpreter here, so more environments would run nothing sooner, and
    each costs a cold start (a fresh import with its clients). A wait longer than ``wait_seconds`` ends
    as Lambda's throttling error, TooManyRequestsException, which the ASL retries.
    """

    def __init__(
        self,
        name: str,
        handler_path: str,
        environment: dict[str, str],
        module_file: str,
        *,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        max_environments: int = ENVIRONMENTS_PER_FUNCTION,
        wait_seconds: float = ENVIRONMENT_WAIT_SECONDS,
    ) -> None:
        if max_environments < 1:
            raise ValueError(f"{name}: max_environments must be at least 1, not {max_environments}")
        self.name = name
        self.handler_path = handler_path
        self.environment = environment
        self.timeout_seconds = timeout_seconds
        self.max_environments = max_environments
        self._wait_seconds = wait_seconds
        self._module_file = module_file
        self._freed = threading.Condition()
        self._idle: list[Handler] = [self._new_environment()]
        self._environments = 1

    @property
    def environments(self) -> int:
        """How many execution environments the function has started (cold starts)."""
        return self._environments

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = self._take_environment()
        try:
            # A round trip through JSON gives the handler exactly what the Lambda service would.
            context = LocalLambdaContext(self.name, timeout_seconds=self.timeout_seconds)
            return handler(json.loads(json.dumps(event)), context)
        finally:
            with self._freed:
                self._idle.append(handler)
                self._freed.notify()

    def _take_environment(self) -> Handler:
        with self._freed:
            deadline = time.monotonic() + self._wait_seconds
            while not self._idle and self._environments >= self.max_environments:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise LambdaThrottled(
                        f"{self.name}: all {self.max_environments} execution environments stayed busy"
                        f" for {self._wait_seconds:g} s"
                    )
                self._freed.wait(remaining)
            if self._idle:
                return self._idle.pop()
            self._environments += 1
        try:
            return self._new_environment()
        except BaseException:
            with self._freed:
                self._environments -= 1
                self._freed.notify()
            raise

    def _new_environment(self) -> Handler:
        """Import the handler's module afresh with the function's environment variables (a cold start).

        Handler modules read their configuration when imported, so each function gets its own module
        instances: several saga actions share one handler module but not its configuration.
        """
        module_name, attribute = self.handler_path.rsplit(".", 1)
        environment = f"{self.name}#{next(_ENVIRONMENT_NUMBERS)}"
        with _IMPORTING:
            os.environ.update(self.environment)
            spec = importlib.util.spec_from_file_location(f"{module_name}[{self.name}]", self._module_file)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            token = CURRENT_ENVIRONMENT.set(environment)
            try:
                spec.loader.exec_module(module)
            finally:
                CURRENT_ENVIRONMENT.reset(token)
            log_keys_per_environment(self.environment.get("POWERTOOLS_SERVICE_NAME", "service_undefined"))
        handler: Handler = getattr(module, attribute)

        def in_its_environment(event: dict[str, Any], context: Any) -> Any:
            token = CURRENT_ENVIRONMENT.set(environment)
            try:
                return handler(event, context)
            finally:
                CURRENT_ENVIRONMENT.reset(token)

        return in_its_environment


class FormatterPerEnvironment(logging.Formatter):
    """The formatter of the one Powertools log handler of a service, keeping a formatter per execution environment.

    On AWS each execution environment is a process with its own Powertools Logger. Here every function's
    Logger shares one ``logging.Logger`` (named after the service), hence one handler and one formatter, which
    holds the keys a Logger appends (``append_keys``; ``inject_lambda_context``'s function name and request
    id): shared, one function's keys would show in another's lines, and a key appended on one thread while
    another formats would fail the logging. This formatter keeps a copy of Powertools' formatter per
    environment and hands every call to the copy of the environment whose code runs (CURRENT_ENVIRONMENT).
    """

    def __init__(self, powertools_formatter: Any) -> None:
        super().__init__()
        self._original = powertools_formatter
        self._copies: dict[str, Any] = {}
        self._lock = threading.Lock()

    def current(self) -> Any:
        """The Powertools formatter of the environment whose code runs on this thread (the original outside)."""
        environment = CURRENT_ENVIRONMENT.get()
        if environment is None:
            return self._original
        with self._lock:
            if environment not in self._copies:
                own = copy.copy(self._original)
                own.clear_state()  # a log_format dict of its own, with the Logger's configured keys only
                self._copies[environment] = own
            return self._copies[environment]

    def format(self, record: logging.LogRecord) -> str:
        return str(self.current().format(record))

    def __getattr__(self, name: str) -> Any:
        # append_keys, remove_keys, clear_state, log_format, ...: whatever Powertools asks of its formatter
        if name.startswith("__") or name in {"_original", "_copies", "_lock"}:
            raise AttributeError(name)
        return getattr(self.current(), name)


def log_keys_per_environment(service_name: str) -> None:
    """Put a FormatterPerEnvironment on the service's Powertools log handler, once it exists."""
    handler = getattr(logging.getLogger(service_name), "powertools_handler", None)
    if handler is not None and not isinstance(handler.formatter, FormatterPerEnvironment):
        handler.setFormatter(FormatterPerEnvironment(handler.formatter))


def metrics_per_environment() -> Any:
    """Give each Powertools Metrics instance a metric set of its own, as each execution environment has on AWS.

    Metrics keeps its metric set in class attributes, shared by every instance in a process; on AWS each
    environment is a process of its own. Shared here, one invocation's flush would empty the set another
    invocation on another thread had just checked, which then fails with SchemaValidationError.
    """
    init = Metrics.__init__

    def init_with_own_state(metrics: Metrics, *args: Any, **kwargs: Any) -> None:
        metrics._metrics, metrics._dimensions, metrics._metadata = {}, {}, {}
        metrics._default_dimensions = {}
        init(metrics, *args, **kwargs)

    return patch.object(Metrics, "__init__", init_with_own_state)


def handler_module(function: LocalFunction) -> str:
    """The last part of a function's handler module: ``service.handlers.outbox_relay.handler`` -> ``outbox_relay``."""
    return function.handler_path.rsplit(".", 2)[-2]


# How the embedded AWS's user names a function in tests, faults and the local controls (for example by the saga action
# it performs, when several functions share one handler module); handler_module unless the user says otherwise.
ShortName = Callable[[LocalFunction], str]


def load_function(function_name: str) -> LocalFunction:
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    environment = configuration.get("Environment", {}).get("Variables", {})
    module_name = configuration["Handler"].rsplit(".", 1)[0]
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{function_name}: no module {module_name} for handler {configuration['Handler']}")
    return LocalFunction(
        function_name,
        configuration["Handler"],
        environment,
        spec.origin,
        timeout_seconds=int(configuration.get("Timeout", DEFAULT_TIMEOUT_SECONDS)),
    )


def deployed_functions() -> list[str]:
    paginator = boto3.client("lambda").get_paginator("list_functions")
    return [function["FunctionName"] for page in paginator.paginate() for function in page["Functions"]]


@dataclass(frozen=True)
class Invocation:
    """One invoke's outcome as the Lambda service reports it."""

    payload: Any
    error_type: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_type is not None


def _error(error_type: str, message: str) -> Invocation:
    return Invocation({"errorType": error_type, "errorMessage": message}, error_type)


class LambdaRuntime:
    """Runs every deployed function's own handler in this process, with its deployed configuration.

    All invokes pass through ``invoke``: direct calls, the state machine's tasks (via moto's Lambda
    service), the stream mappings and the local API; so armed faults apply to all of them alike.
    """

    def __init__(self, faults: FaultInjector, short_name: ShortName = handler_module) -> None:
        self._faults = faults
        self._short_name = short_name
        self._functions = {name: load_function(name) for name in deployed_functions()}

    @property
    def functions(self) -> dict[str, LocalFunction]:
        return dict(self._functions)

    def short_names(self) -> list[str]:
        """Every function's short name (what ``function_name`` accepts besides handler modules), sorted."""
        return sorted(self._short_name(function) for function in self._functions.values())

    def short_name_of(self, function_name: str) -> str:
        """The short name of the deployed function ``function_name``. Raises KeyError for a name not deployed."""
        return self._short_name(self._functions[function_name])

    def function_name(self, short_name: str) -> str:
        """A deployed function's name, by its handler module (``outbox_relay``) or its short name.

        Raises KeyError unless exactly one function answers to ``short_name``.
        """
        matches = [
            name
            for name, function in self._functions.items()
            if handler_module(function) == short_name or self._short_name(function) == short_name
        ]
        if len(matches) != 1:
            raise KeyError(f"expected one function for {short_name!r}, found {matches}")
        return matches[0]

    def function(self, short_name: str) -> LocalFunction:
        return self._functions[self.function_name(short_name)]

    def invoke(self, function_name: str, event: dict[str, Any]) -> Invocation:
        function = self._functions[function_name]
        fault = self._faults.take(function_name)
        if fault is not None and fault.kind is FaultKind.TRANSIENT:
            raise LambdaServiceException(f"injected transient failure of {function_name}")
        if fault is not None and fault.kind is FaultKind.CRASH_BEFORE:
            return _error("Runtime.ExitError", f"injected crash of {function_name} before its handler ran")
        try:
            if fault is not None and fault.kind is FaultKind.BUSINESS_ERROR:
                raise business_error(fault.error_name, f"injected {fault.error_name} in {function_name}")
            result = function.invoke(event)
        except LambdaServiceException:
            raise
        except InvocationTimedOut:
            return _error("Sandbox.Timedout", f"Task timed out after {function.timeout_seconds:.2f} seconds")
        except Exception as error:
            return _error(type(error).__name__, str(error))
        if fault is not None and fault.kind is FaultKind.CRASH_AFTER:
            return _error("Runtime.ExitError", f"injected crash of {function_name} after its handler ran")
        return Invocation(result)

    def serve_moto_invokes(self) -> Any:
        """Patch moto's single invoke point so that its Lambda service (and so Step Functions) runs our handlers."""
        runtime = self

        def _invoke_lambda(moto_function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            payload = json.loads(event) if isinstance(event, str) else (event or {})
            outcome = runtime.invoke(moto_function.function_name, payload)
            return json.dumps(outcome.payload), outcome.failed, ""

        return patch.object(LambdaFunction, "_invoke_lambda", _invoke_lambda)

    def serve_state_machine_invokes(self) -> Any:
        """Patch the state machine's Lambda tasks to invoke in-process, with the answers the Lambda API gives them.

        Through the API, each task's invoke was serialized by botocore, routed by moto and parsed back: a
        tenth of an order's cost. A task gets the same answer here: StatusCode and Payload, FunctionError
        on a function error (``Handled``, as moto answers), and a failure of the Lambda service as the
        ClientError botocore would raise, which the interpreter names ``Lambda.<code>``. Invokes of a
        qualified or unknown function still go through the API.
        """
        runtime = self
        invoke_through_api = lambda_eval_utils._invoke_lambda_function

        def invoke_in_process(parameters: dict[str, Any], region: str, state_credentials: Any) -> dict[str, Any]:
            name = str(parameters["FunctionName"]).rsplit(":function:", 1)[-1]
            if "Qualifier" in parameters or name not in runtime._functions:
                return invoke_through_api(parameters, region, state_credentials)  # type: ignore[no-any-return]
            # The task's invoke is the state machine's call: IAM authorizes it against the state machine's role.
            iam.authorize_call(iam.STATE_MACHINE, "lambda", "Invoke", parameters)
            payload = parameters.get("Payload")
            try:
                outcome = runtime.invoke(name, json.loads(payload) if payload else {})
            except LambdaServiceException as error:
                metadata = {"HTTPStatusCode": error.code, "RequestId": str(uuid.uuid4())}
                answer = {"Error": {"Code": error.error_type, "Message": error.message}, "ResponseMetadata": metadata}
                raise ClientError(answer, "Invoke") from error
            response = {"StatusCode": 200, "Payload": json.loads(json.dumps(outcome.payload))}
            if outcome.failed:
                response["FunctionError"] = "Handled"
            return response

        return patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke_in_process)
