"""A handler's import (its cold start) creates no AWS client; its first request creates one per AWS service it calls.

Speed is `make coldstart`'s (benchmarks/coldstart.py); this checks the behaviour its figures rest on, in fresh
interpreters set up as Lambda sets up a function (the benchmark's environments).
"""

import json
import subprocess
import sys

import pytest

from benchmarks.coldstart import PROJECT_ROOT, handler_environments, process_environment
from infra.settings import SETTINGS

# Records the service of every botocore client created after it runs, whoever creates it (boto3.client, a
# Powertools layer's own session, the X-Ray SDK); then imports the handler, then calls what it builds on first use.
COUNTING_CLIENTS = """\
import json
import botocore.session

created = []
create_client = botocore.session.Session.create_client


def counted(session, service_name, *args, **kwargs):
    created.append(service_name)
    return create_client(session, service_name, *args, **kwargs)


botocore.session.Session.create_client = counted
import {module} as module

at_import = list(created)
for value in list(vars(module).values()):
    if hasattr(value, "cache_info") and getattr(value, "__module__", None) == module.__name__:
        value()
print(json.dumps(at_import))
print(json.dumps(created[len(at_import) :]))
"""
# The AWS services each handler calls, one client each: the create handler's idempotency records share its client.
SERVICES = {
    f"create_{SETTINGS.domain}": ["dynamodb"],
    f"get_{SETTINGS.domain}": ["dynamodb"],
    "outbox_relay": ["dynamodb", "stepfunctions"] if SETTINGS.workflow_type == "EXPRESS" else ["stepfunctions"],
    "saga_action": ["dynamodb"],
}


def clients_created(handler: str) -> tuple[list[str], list[str]]:
    """The services of the clients a fresh import of ``handler`` created, then of those its first use created."""
    module = f"{SETTINGS.package_name}.handlers.{handler}"
    completed = subprocess.run(
        [sys.executable, "-c", COUNTING_CLIENTS.format(module=module)],
        cwd=PROJECT_ROOT,
        env=process_environment(handler_environments()[handler]),
        capture_output=True,
        text=True,
        check=True,
    )
    at_import, on_first_use = completed.stdout.strip().splitlines()[-2:]
    return json.loads(at_import), json.loads(on_first_use)


@pytest.mark.parametrize("handler", sorted(SERVICES))
def test_given_a_fresh_interpreter_when_a_handler_is_imported_then_no_client_exists_until_its_first_request(
    handler: str,
) -> None:
    # Given a fresh interpreter with the handler's function environment, counting the botocore clients created
    # When the handler module is imported, then what it builds on first use is built
    at_import, on_first_use = clients_created(handler)
    # Then the import created none, and the first request one per service the handler calls
    assert at_import == []
    assert sorted(on_first_use) == SERVICES[handler]
