"""The API against its own OpenAPI document (schemathesis): whatever a client sends, no
answer is a 5xx, and every answer's status, content type and body are the documented ones."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from service_worlds import Service
from test_security import PUBLIC, ROUTE_SCOPES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Examples per operation: enough to reach every documented status of a route in CI time.
EXAMPLES = 30


#: Every operation with valid inputs, and every one that takes inputs with invalid ones.
OPERATIONS = [
    *(
        (method, path, GenerationMode.POSITIVE)
        for method, path in sorted(set(ROUTE_SCOPES) | PUBLIC)
    ),
    *((method, path, GenerationMode.NEGATIVE) for method, path in sorted(ROUTE_SCOPES)),
]


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
def test_every_route_answers_as_documented(
    service: Service, method: str, path: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.app)
    operation = schema[path][method]
    headers = service.headers("admin")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
        derandomize=True,  # the same examples every run: CI never meets a new one by chance
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        if case.path_parameters and "world" in case.path_parameters:
            case.path_parameters["world"] = "w"  # the key's world, or only 403s are seen
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()
