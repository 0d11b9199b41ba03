"""Deployment settings chosen when the service was generated; change them here."""

from dataclasses import dataclass
from typing import Literal

# The relay's stream batch size; `make redrive` hands the relay batches of the same size. Here, with no CDK
# import, so that ops/ can read it without loading the CDK.
RELAY_BATCH_SIZE = 10


@dataclass(frozen=True)
class ServiceSettings:
    service_name: str
    package_name: str
    domain: str
    # The plural in snake_case: table and construct names (``line_items`` -> ``LineItemsTable``).
    domain_plural: str
    workflow_type: Literal["STANDARD", "EXPRESS"]
    idempotency_ttl_hours: int
    outbox_retention_days: int
    dlq_enabled: bool
    tracing_enabled: bool
    api_auth: Literal["iam", "none"]
    python_runtime: Literal["3.12", "3.13"]
    architecture: Literal["arm64", "x86_64"]
    aws_region: str

    @property
    def route(self) -> str:
        """The collection's URL path, the plural in kebab-case: ``line_items`` -> ``/line-items``."""
        return "/" + self.domain_plural.replace("_", "-")


SETTINGS = ServiceSettings(
    service_name={{ cookiecutter.project_slug | tojson }},
    package_name={{ cookiecutter.package_name | tojson }},
    domain={{ cookiecutter.domain | tojson }},
    domain_plural={{ cookiecutter.domain_plural | tojson }},
    workflow_type={{ cookiecutter.workflow_type | tojson }},
    idempotency_ttl_hours={{ cookiecutter.idempotency_ttl_hours | int }},
    outbox_retention_days={{ cookiecutter.outbox_retention_days | int }},
    dlq_enabled={{ cookiecutter.dlq == "enabled" }},
    tracing_enabled={{ cookiecutter.tracing == "enabled" }},
    api_auth={{ cookiecutter.api_auth | tojson }},
    python_runtime={{ cookiecutter.python_runtime | tojson }},
    architecture={{ cookiecutter.architecture | tojson }},
    aws_region={{ cookiecutter.aws_region | tojson }},
)
