"""Starting saga executions in Step Functions."""

from typing import Any


class StepFunctionsStarter:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def start(self, name: str, execution_input: str) -> bool:
        """Start the named execution; False when an execution with that name already exists."""
        try:
            self._client.start_execution(stateMachineArn=self._state_machine_arn, name=name, input=execution_input)
        except self._client.exceptions.ExecutionAlreadyExists:
            return False
        return True
