"""Pytest plugin: a real S3 API (moto's HTTP server, in a thread) and a fresh bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from designer_bff.storage.s3 import S3BlobStore

# moto accepts any credentials; explicit dummies keep boto3 away from real ones in the environment.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"
S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """Endpoint URL of a moto S3 server on a free localhost port, running for the whole session."""
    from moto.server import ThreadedMotoServer

    # Port 0 lets the OS pick a free port; get_host_and_port() reports the one it chose.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_server: str) -> S3BlobStore:
    """An S3BlobStore on a new, uniquely named bucket of the moto server."""
    return S3BlobStore(
        f"test-{uuid.uuid4().hex[:16]}",
        endpoint_url=s3_server,
        region=S3_REGION,
        access_key_id=DUMMY_ACCESS_KEY_ID,
        secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        create_bucket=True,
    )
