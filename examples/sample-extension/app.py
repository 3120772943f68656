"""Sample extgate extension: a small JSON API that shows each host capability.

Routes (paths are relative to the extension, e.g. /api/ext/sample/hello at the gateway):

- ``GET /hello``      greeting from the install config, tenant and request id
- ``ANY /echo``       method, path, query and body of the request as JSON
- ``GET /counter``    the counter kept in storage (``cap:storage.kv``)
- ``POST /counter``   increment the counter with a revision check; 409 on a lost race
- ``GET /secret``     read secret ``api-key`` (``cap:secrets.get``): shows ``denied`` if not granted
- ``GET /fetch``      fetch ``?url=`` (``cap:http.fetch``): shows ``not-allowed`` when refused
- anything else       404 JSON

Built with ``extgate bundle build examples/sample-extension``; the runner calls
``WitWorld.handler`` once per request on a fresh instance.
"""

import json
from urllib.parse import parse_qsl, urlsplit

from componentize_py_types import Err
from wit_world import WitWorld as WitWorldProtocol
from wit_world.imports import context, http, logging, secrets, storage, types

COUNTER_NAMESPACE = "counters"
COUNTER_KEY = "clicks"


def json_response(status: int, payload: object) -> types.ExecuteResponse:
    body = json.dumps(payload, sort_keys=True).encode()
    headers = [types.Header(name="content-type", value="application/json")]
    return types.ExecuteResponse(status=status, headers=headers, body=body)


def error_name(error: object) -> str:
    """`StorageError_Conflict` -> `conflict`: the WIT case name of an error variant."""
    name = type(error).__name__.split("_", 1)[-1]
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def hello(request: types.ExecuteRequest, query: dict[str, str]) -> types.ExecuteResponse:
    ctx = context.get_context()
    config = {entry.key: entry.value for entry in context.get_config()}
    greeting = config.get("greeting", "Hello")
    name = query.get("name", "world")
    logging.log_info(f"hello for {name}")
    return json_response(
        200,
        {
            "message": f"{greeting}, {name}!",
            "tenant": ctx.tenant_id,
            "extension": ctx.extension_id,
            "requestId": ctx.request_id,
            "greeting": greeting,
        },
    )


def echo(request: types.ExecuteRequest, query: dict[str, str]) -> types.ExecuteResponse:
    body = request.http.body or b""
    headers = {h.name: h.value for h in request.http.headers}
    return json_response(
        200,
        {
            "method": request.http.method,
            "path": urlsplit(request.http.url).path,
            "query": query,
            "body": body.decode("utf-8", errors="replace"),
            "contentType": headers.get("content-type"),
        },
    )


def read_counter() -> tuple[int, int]:
    """(value, revision); (0, 0) when the counter was never written."""
    try:
        entry = storage.get(COUNTER_NAMESPACE, COUNTER_KEY)
    except Err as err:
        if isinstance(err.value, storage.StorageError_NotFound):
            return 0, 0
        raise
    return int(entry.value.decode()), entry.revision or 0


def counter(request: types.ExecuteRequest, query: dict[str, str]) -> types.ExecuteResponse:
    try:
        value, revision = read_counter()
        if request.http.method == "GET":
            return json_response(200, {"value": value, "revision": revision})
        expected = int(query["revision"]) if "revision" in query else revision
        entry = storage.put(
            storage.StorageEntry(
                namespace=COUNTER_NAMESPACE,
                key=COUNTER_KEY,
                value=str(value + 1).encode(),
                revision=expected,
            )
        )
    except Err as err:
        if isinstance(err.value, storage.StorageError_Conflict):
            return json_response(409, {"error": "conflict", "currentRevision": err.value.value})
        return json_response(
            403 if error_name(err.value) == "denied" else 500, {"error": error_name(err.value)}
        )
    return json_response(200, {"value": value + 1, "revision": entry.revision})


def secret(request: types.ExecuteRequest, query: dict[str, str]) -> types.ExecuteResponse:
    key = query.get("key", "api-key")
    try:
        value = secrets.get(key)
    except Err as err:
        return json_response(200, {"key": key, "granted": False, "error": error_name(err.value)})
    return json_response(200, {"key": key, "granted": True, "length": len(value)})


def fetch(request: types.ExecuteRequest, query: dict[str, str]) -> types.ExecuteResponse:
    url = query.get("url", "https://example.com/")
    outbound = types.HttpRequest(method="GET", url=url, headers=[], body=None)
    try:
        response = http.fetch(outbound)
    except Err as err:
        detail = getattr(err.value, "value", None)
        return json_response(
            200, {"url": url, "allowed": False, "error": error_name(err.value), "detail": detail}
        )
    body = (response.body or b"").decode("utf-8", errors="replace")
    return json_response(
        200, {"url": url, "allowed": True, "status": response.status, "body": body[:2000]}
    )


ROUTES = {
    ("GET", "/hello"): hello,
    ("GET", "/counter"): counter,
    ("POST", "/counter"): counter,
    ("GET", "/secret"): secret,
    ("GET", "/fetch"): fetch,
}


class WitWorld(WitWorldProtocol):
    def handler(self, request: types.ExecuteRequest) -> types.ExecuteResponse:
        url = urlsplit(request.http.url)
        path = url.path.rstrip("/") or "/"
        query = dict(parse_qsl(url.query))
        if path == "/echo":
            return echo(request, query)
        route = ROUTES.get((request.http.method.upper(), path))
        if route is None:
            message = f"no route {request.http.method} {path}"
            return json_response(
                404,
                {"error": "not_found", "message": message, "requestId": request.context.request_id},
            )
        return route(request, query)
