"""RUNNER_SERVICE_TOKEN: execute, prepare and ext-ui refuse without it; healthz stays open."""

from __future__ import annotations

import pytest

from tests.runner.execute_calls import execute_body, routing

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token-value"


@pytest.fixture
def guarded(make_app):
    return make_app(RUNNER_SERVICE_TOKEN=TOKEN).test_client()


@pytest.mark.parametrize("given", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_refused_without_the_right_token(guarded, sample_bundle, given, caplog):
    extra = {} if given is None else {"x-runner-service-token": given}
    requests = [
        guarded.post(
            "/v1/execute",
            json=execute_body(sample_bundle.content_hash, "/hello"),
            headers=routing(**extra),
        ),
        guarded.get(f"/ext-ui/sample/{sample_bundle.content_hash}/index.html", headers=extra),
        guarded.post(
            "/v1/prepare", json={"content_hash": sample_bundle.content_hash}, headers=extra
        ),
    ]
    for resp in requests:
        assert resp.status_code == 401
        body = resp.get_json()
        assert body["error"] == "unauthorized" and body["requestId"]
        assert TOKEN not in resp.get_data(as_text=True)
    assert TOKEN not in caplog.text


def test_accepted_with_the_token_and_healthz_open(guarded, sample_bundle):
    resp = guarded.post(
        "/v1/execute",
        json=execute_body(sample_bundle.content_hash, "/hello"),
        headers=routing(**{"x-runner-service-token": TOKEN}),
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == 200
    assert guarded.get("/healthz").status_code == 200
