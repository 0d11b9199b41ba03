"""Work moto repeats on every request that depends on nothing in the request: done once instead.

moto lists a response class's methods by reflection (``inspect.getmembers``) to dispatch each request,
about a tenth of a DynamoDB call's cost here. The list depends only on the class, so it is cached.
"""

import functools
from typing import Any
from unittest.mock import patch

from moto.core import responses
from moto.core.utils import method_names_from_class


def request_dispatch_cached() -> Any:
    return patch.object(responses, "method_names_from_class", functools.cache(method_names_from_class))
