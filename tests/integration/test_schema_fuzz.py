"""Schemathesis against the app's own OpenAPI schema, in-process: no 5xx, no off-schema reply.

The app is the real one (`create_app(services)`) over a small embedded store ingested once for
the module; schemathesis generates requests for every documented operation from the schema the
app publishes (valid ones, then invalid ones), sends them through ASGI, and checks every response
against that same schema: status code documented, content type, headers and body shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.corpus import write_article

from bot.api import create_app
from bot.services import build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 20
# Every operation the app documents; a new route must be added here to be fuzzed (checked below).
OPERATIONS = [
    "POST /v1/ask", "POST /v1/search", "POST /v1/chat/completions", "GET /v1/models",
    "POST /v1/documents", "GET /v1/documents", "GET /v1/documents/{doc_id}",
    "DELETE /v1/documents/{doc_id}", "GET /v1/sessions/{session_id}", "POST /v1/feedback",
    "GET /healthz", "GET /readyz", "GET /metrics",
]
# Answering runs the real chain (~0.3-1 s of CPU each on 2 cores): fewer examples there.
COSTLY = {"POST /v1/ask": 10, "POST /v1/chat/completions": 10}
# Invalid requests need something to break: a body (path parameters are any string here).
WITH_BODY = ["POST /v1/ask", "POST /v1/search", "POST /v1/chat/completions", "POST /v1/documents",
             "POST /v1/feedback"]
CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    (label, GenerationMode.NEGATIVE) for label in WITH_BODY]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> schemathesis.BaseSchema:
    root = tmp_path_factory.mktemp("schema-fuzz")
    for name, topic in (("canal.md", "canal"), ("steel.md", "steel"), ("chips.md", "chips")):
        write_article(root / "docs", name, topic)
    settings_ = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(root / "data"))  # type: ignore[call-arg]
    services = build_services(settings_, embedder=embedder)
    assert services.ingestor.run([str(root / "docs")]).added == 3
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(services, warm_up=False))


def test_the_fuzzed_operations_are_exactly_the_documented_ones(api_schema: schemathesis.BaseSchema) -> None:
    documented = {result.ok().label for result in api_schema.get_all_operations()}

    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), CASES, ids=[f"{label} {mode.value}" for label, mode in CASES])
def test_every_operation_answers_within_its_schema_and_never_with_a_5xx(
    api_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None

    @settings(max_examples=COSTLY.get(label, EXAMPLES), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Case) -> None:
        case.call_and_validate(checks=CHECKS)

    check()
