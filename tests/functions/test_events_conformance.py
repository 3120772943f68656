"""CloudEvents conformance cases (../shared/conformance/cloudevents) against execute_event.

Each case is sent twice, in every content mode it can take:
- as given: it must parse to the listed attributes and data (with the same SDK call
  the entry point uses), and the endpoint must refuse it only for its foreign type
  (400 unsupported_event_type, never invalid_cloudevent);
- wrapped in our request type: same id, source, time and extensions, its data as the
  extension request body with its datacontenttype as Content-Type. The reply must
  be a result event correlated to the case and the extension must have received the
  case's bytes exactly.
"""

from __future__ import annotations

import base64
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from cloudevents.http import from_http

from functions.event_types import REQUEST_TYPE

CASES_DIR = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "cloudevents"


@dataclass
class Case:
    name: str
    mode: str  # binary | structured
    headers: dict[str, str]
    body: bytes
    attributes: dict[str, str]
    data: object  # expected parsed data (JSON value or bytes)
    raw_data: bytes  # the bytes the extension must receive once wrapped
    extensions: dict[str, str] = field(default_factory=dict)


def _yaml_cases() -> list[Case]:
    cases = []
    for file in ("v1_minimum.yaml", "v1.yaml"):
        for n, doc in enumerate(yaml.safe_load_all((CASES_DIR / file).read_text())):
            attrs = {k: str(v) for k, v in doc["ContextAttributes"].items() if k != "Extensions"}
            attrs["specversion"] = "1.0"
            extensions = {
                k: str(v).strip()
                for k, v in (doc["ContextAttributes"].get("Extensions") or {}).items()
            }
            transport = {k: str(v) for k, v in (doc.get("TransportExtensions") or {}).items()}
            raw = doc["Data"].encode()
            for mode in ("binary", "structured"):
                headers, body = _encode(mode, attrs, extensions, raw)
                cases.append(Case(f"{file}#{n}-{mode}", mode, headers | transport, body, attrs,
                                  _expected_data(attrs, raw, mode), raw, extensions))  # fmt: skip
    return cases


def _is_json(content_type: str | None) -> bool:
    return content_type is None or content_type.split(";")[0].strip().endswith("json")


def _expected_data(attrs: dict[str, str], raw: bytes, mode: str) -> object:
    """JSON data parses to its value; other data is bytes in binary mode, text in JSON."""
    if _is_json(attrs.get("datacontenttype")):
        return json.loads(raw)
    return raw if mode == "binary" else raw.decode()


def _encode(mode, attrs, extensions, raw):
    if mode == "binary":
        headers = {f"ce-{k}": v for k, v in (attrs | extensions).items() if k != "datacontenttype"}
        if "datacontenttype" in attrs:
            headers["content-type"] = attrs["datacontenttype"]
        return headers, raw
    envelope: dict = dict(attrs | extensions)
    if _is_json(attrs.get("datacontenttype")):
        envelope["data"] = json.loads(raw)
    else:
        envelope["data"] = raw.decode()
    return {"content-type": "application/cloudevents+json"}, json.dumps(envelope).encode()


def _feature_cases() -> list[Case]:
    text = (CASES_DIR / "http-protocol-binding.feature").read_text()
    cases = []
    for block in text.split("Scenario Outline:")[1:]:
        title = block.splitlines()[0].strip()
        request, data_json = _docstrings(block)
        table = dict(
            re.findall(r"^[ \t]*\|[ \t]*(\w+)[ \t]*\|[ \t]*(.+?)[ \t]*\|[ \t]*$", block, re.M)
        )
        examples = block.split("Examples:")[1]
        content_types = re.findall(r"^[ \t]*\|[ \t]*([a-z][^|]*?)[ \t]*\|[ \t]*$", examples, re.M)[
            1:
        ]
        for content_type in content_types:
            head, _, body = request.replace("<contentType>", content_type).partition("\n\n")
            headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
            headers.pop("Content-Length")
            attrs = {k: v.replace("<contentType>", content_type) for k, v in table.items()
                     if k not in ("key",)}  # fmt: skip
            mode = "structured" if "cloudevents" in content_type else "binary"
            raw = json.dumps(json.loads(data_json)).encode()
            cases.append(Case(f"feature:{title}:{content_type}", mode, headers, body.encode(),
                              attrs, json.loads(data_json), raw))  # fmt: skip
    return cases


def _docstrings(block: str) -> list[str]:
    found = re.findall(r'^( *)"""\n(.*?)\n\1"""', block, re.M | re.S)
    return [textwrap.dedent(body) for _indent, body in found]


def _all_cases() -> list[Case]:
    if not CASES_DIR.is_dir():
        return []
    return _yaml_cases() + _feature_cases()


CASES = _all_cases()
needs_cases = pytest.mark.skipif(
    not CASES, reason=f"SKIP: conformance cases not found at {CASES_DIR} (shared/ missing)"
)


def test_every_conformance_file_yields_cases():
    if not CASES:
        pytest.skip(f"SKIP: conformance cases not found at {CASES_DIR} (shared/ missing)")
    assert len([c for c in CASES if c.name.startswith("feature")]) == 4
    assert len(CASES) == 4 + 2 * (6 + 2)


@needs_cases
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_as_given_parses_and_is_refused_only_for_its_type(make_client, runner, case):
    event = from_http(case.headers, case.body)
    for key, value in (case.attributes | case.extensions).items():
        assert event[key] == value, key
    assert event.data == case.data
    client = make_client("execute_event")
    response = client.post("/", headers=case.headers | {"Prefer": "reply"}, data=case.body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_event_type"
    assert runner.calls == []


@needs_cases
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_wrapped_in_our_type_executes_and_replies(make_client, runner, case):
    attrs = dict(case.attributes)
    original_type = attrs.pop("datacontenttype", None)
    attrs["type"] = REQUEST_TYPE
    wrapped_ct = original_type if _is_json(original_type) else "application/json"
    attrs["datacontenttype"] = wrapped_ct or "application/json"
    data = {"tenant": "acme", "extension": "sample", "path": "/conformance",
            "headers": {"content-type": original_type or "application/json"},
            "body_b64": base64.b64encode(case.raw_data).decode()}  # fmt: skip
    headers, body = _encode(case.mode, attrs, case.extensions, json.dumps(data).encode())
    if case.mode == "structured" and "charset" in case.headers.get("Content-Type", ""):
        headers["content-type"] = case.headers["Content-Type"]
    client = make_client("execute_event")
    response = client.post("/", headers=headers | {"Prefer": "reply"}, data=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    reply = from_http(dict(response.headers), response.get_data())
    assert reply["causeid"] == case.attributes["id"]
    assert reply["causesource"] == case.attributes["source"]
    echoed = json.loads(base64.b64decode(reply.data["body_b64"]))
    (call,) = runner.calls
    assert base64.b64decode(call.payload["http"]["body_b64"]) == case.raw_data
    assert echoed["headers"]["content-type"] == (original_type or "application/json")
