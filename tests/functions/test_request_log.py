"""One JSON log line per request; tokens, cookies and authorization never logged."""

from __future__ import annotations

from functions.request_log import redact_headers, redact_query

SECRETS = ("user-bearer-secret", "cookie-secret", "query-token-secret", "svc-token-secret")


def test_one_line_per_request_with_the_fields(make_client, runner, request_log) -> None:
    client = make_client("execute")
    client.get("/api/ext/sample/hi", headers={"x-alga-tenant": "acme", "x-request-id": "rq-1"})
    client.get("/api/ext/missing/hi", headers={"x-alga-tenant": "acme"})
    first, second = request_log.records()
    assert first["event"] == "gateway_request"
    assert first["target"] == "execute"
    assert first["backend"] == "knative"
    assert first["request_id"] == "rq-1"
    assert (first["tenant"], first["extension"], first["status"]) == ("acme", "sample", 201)
    assert first["duration_ms"] >= 0
    assert (second["status"], second["error"]) == (404, "not_installed")


def test_backend_kind_is_logged_for_docker(make_client, runner, request_log) -> None:
    client = make_client("health", RUNNER_BACKEND="docker", RUNNER_DOCKER_HOST=runner.url)
    client.get("/livez")
    assert request_log.records()[-1]["backend"] == "docker"


def test_tokens_never_reach_the_logs(make_client, runner, request_log, capfd) -> None:
    runner.expected_token = "svc-token-secret"
    client = make_client("execute", LOG_LEVEL="DEBUG", RUNNER_SERVICE_TOKEN="svc-token-secret")
    headers = {"x-alga-tenant": "acme", "authorization": "Bearer user-bearer-secret"}
    client.set_cookie("sid", "cookie-secret")
    client.get("/api/ext/sample/a?access_token=query-token-secret&page=2", headers=headers)
    runner.mode = "inner_error"
    client.post("/api/ext/sample/a?token=query-token-secret", data=b"x", headers=headers)
    runner.stop()
    client.get("/api/ext/sample/a", headers=headers)
    records = request_log.records()
    assert [r["status"] for r in records] == [201, 502, 502]
    assert records[0]["headers"]["authorization"] == "[redacted]"
    assert records[0]["headers"]["cookie"] == "[redacted]"
    assert "page=2" in records[0]["query"]
    captured = "\n".join(request_log.lines) + capfd.readouterr().err
    assert "gateway_request" in captured  # the process's own stderr handler wrote too
    for secret in SECRETS:
        assert secret not in captured


def test_redaction_helpers() -> None:
    headers = redact_headers({"Authorization": "a", "X-Runner-Service-Token": "b", "Accept": "c"})
    assert headers == {"authorization": "[redacted]", "x-runner-service-token": "[redacted]",
                       "accept": "c"}  # fmt: skip
    assert redact_query("api_key=1&q=x&session=2") == (
        "api_key=%5Bredacted%5D&q=x&session=%5Bredacted%5D"
    )
