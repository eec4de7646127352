"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis strategies): no request,
authenticated or not, may cause a server error, and the server stays healthy afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer_bff.api.app import create_app
from designer_bff.config import Settings
from designer_bff.container import Container
from tests.conftest import register

SCHEMA = schemathesis.openapi.from_dict(
    create_app(Container(Settings(data_dir=Path("/nonexistent/unused"), _env_file=None))).openapi()
)
OPERATIONS = [(op.method.upper(), op.path) for op in (r.ok() for r in SCHEMA.get_all_operations())]


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        secret_key="fuzz-secret-0123456789abcdef-0123456789",
        _env_file=None,
    )
    container = Container(settings_)
    with TestClient(create_app(container, run_consumers=False), raise_server_exceptions=False) as client:
        yield client, register(client)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_input_causes_a_server_error(fuzz_client: Any, method: str, path: str) -> None:
    client, headers = fuzz_client
    operation = SCHEMA[path][method]

    @given(case=operation.as_strategy(), authenticated=st.booleans())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Any, authenticated: bool) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        request_headers = {**(kwargs.get("headers") or {}), **(headers if authenticated else {})}
        request_headers.pop("Content-Length", None)
        response = client.request(
            kwargs["method"],
            kwargs["url"],
            headers=request_headers,
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
            files=kwargs.get("files"),
            content=kwargs.get("content"),
        )
        assert response.status_code < 500, (method, path, response.status_code, response.text[:300])

    check()
    assert client.get("/health").json()["status"] == "ok"
