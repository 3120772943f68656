"""Every manifest, and both rendered overlays, pass the schemas and admission rules.

Then each rule is broken once on a copy of a real manifest to prove it can fail.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from knative import validate as v
from tests.knative.conftest import KNATIVE

MANIFEST_FILES = sorted(
    p
    for p in KNATIVE.rglob("*.yaml")
    if p.name != "kustomization.yaml" and "schemas" not in p.parts
)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def violations(*docs: dict) -> list[v.Violation]:
    return v.validate([(f"doc{i}", d) for i, d in enumerate(docs)])


def test_manifest_files_are_found():
    names = {p.relative_to(KNATIVE).as_posix() for p in MANIFEST_FILES}
    required = {
        "base/execute.yaml", "base/execute-event.yaml", "base/ui-proxy.yaml", "base/health.yaml",
        "base/extension-runner.yaml", "base/broker.yaml", "base/trigger-execute-requests.yaml",
        "base/gateway-config.yaml", "overlays/prod/domainmapping.yaml",
        "overlays/dev/runner-token.yaml",
    }  # fmt: skip
    assert required <= names


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: str(p.relative_to(KNATIVE)))
def test_each_file_holds_one_valid_object(path):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert len(docs) == 1, "kn service apply -f reads exactly one object per file"
    context = v.load_documents([KNATIVE / "base"])  # ConfigMaps referenced by envFrom
    found = v.validate([(str(path), docs[0])] + [(s, d) for s, d in context if d != docs[0]])
    assert [str(x) for x in found] == []


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_rendered_overlay_is_valid(rendered, overlay):
    docs = [d for d in yaml.safe_load_all(rendered[overlay]) if d]
    assert [str(x) for x in v.validate([(f"{overlay}#{i}", d) for i, d in enumerate(docs)])] == []
    kinds = sorted(d["kind"] for d in docs)
    assert kinds.count("Service") == 5 and kinds.count("Trigger") == 1
    namespace = {"dev": "extgate-dev", "prod": "extgate"}[overlay]
    assert {d["metadata"]["namespace"] for d in docs} == {namespace}


def test_overlays_set_images_and_scale(rendered):
    def services(text):
        return {d["metadata"]["name"]: d for d in yaml.safe_load_all(text)
                if d and d["kind"] == "Service"}  # fmt: skip

    def image(svc):
        return svc["spec"]["template"]["spec"]["containers"][0]["image"]

    def scale(svc, key):
        return svc["spec"]["template"]["metadata"]["annotations"][f"autoscaling.knative.dev/{key}"]

    dev, prod = services(rendered["dev"]), services(rendered["prod"])
    assert image(dev["execute"]) == "extgate/functions:dev"
    assert image(prod["execute"]) == "registry.example.com/extgate/functions:0.1.0"
    assert image(prod["extension-runner"]) == "registry.example.com/extgate/runner:0.1.0"
    assert scale(dev["execute"], "max-scale") == "2"
    assert scale(prod["execute"], "min-scale") == "1"
    assert scale(prod["ui-proxy"], "min-scale") == "2"
    assert scale(dev["ui-proxy"], "min-scale") == "1"
    assert "Secret" not in {d["kind"] for d in yaml.safe_load_all(rendered["prod"]) if d}


# --- each rule, broken once -------------------------------------------------------


def base(name: str) -> dict:
    return copy.deepcopy(load(KNATIVE / "base" / name))


def container(doc):
    return doc["spec"]["template"]["spec"]["containers"][0]


def _annotations_at_top(d):
    d["metadata"]["annotations"] = {"autoscaling.knative.dev/min-scale": "1"}


def _env(name, value="x"):
    return lambda d: container(d)["env"].append({"name": name, "value": value})


def _spec(**changes):
    return lambda d: d["spec"]["template"]["spec"].update(**changes)


def _extra_port(d):
    container(d)["ports"].append({"name": "metrics", "containerPort": 9090})


def _burst_capacity_removed(d):
    d["spec"]["template"]["metadata"]["annotations"].pop(
        "autoscaling.knative.dev/target-burst-capacity"
    )


BROKEN = {
    "schema": ("execute.yaml", lambda d: container(d).update(imagePullPolcy="Always")),
    "annotation-placement": ("execute.yaml", _annotations_at_top),
    "timeout-seconds": ("execute.yaml", _spec(timeoutSeconds=900)),
    "container-concurrency": ("execute.yaml", _spec(containerConcurrency=1001)),
    "reserved-env": ("execute.yaml", _env("K_REVISION")),
    "ports": ("execute.yaml", _extra_port),
    "images-ours": ("execute.yaml", lambda d: container(d).update(image="nginx:latest")),
    "env-names": ("execute.yaml", _env("RUNNER_BASE_ULR", "http://x")),
    "timeouts-consistent": ("execute.yaml", _spec(timeoutSeconds=20)),
    "exposure": ("ui-proxy.yaml", _burst_capacity_removed),
}


@pytest.mark.parametrize("rule", BROKEN)
def test_each_rule_catches_its_broken_manifest(rule):
    file, breaker = BROKEN[rule]
    doc = base(file)
    assert not violations(doc, base("gateway-config.yaml"))
    breaker(doc)
    found = violations(doc, base("gateway-config.yaml"))
    assert rule in {x.rule for x in found}, found


def test_trigger_without_broker_or_subscriber_is_refused():
    doc = base("trigger-execute-requests.yaml")
    del doc["spec"]["broker"]
    doc["spec"]["subscriber"] = {}
    messages = [x.message for x in violations(doc) if x.rule == "trigger-wiring"]
    assert len(messages) == 2


def test_delivery_allows_timeout_and_retry_after_max_but_nothing_unknown():
    doc = base("trigger-execute-requests.yaml")
    doc["spec"]["delivery"]["retryAfterMax"] = "PT30S"
    assert not violations(doc)
    doc["spec"]["delivery"]["retries"] = 3
    assert "schema" in {x.rule for x in violations(doc)}


def test_runner_env_is_checked_against_runner_config():
    doc = base("extension-runner.yaml")
    container(doc)["env"].append({"name": "EXT_GATEWAY_TIMEOUT_MS", "value": "1"})
    found = violations(doc, base("runner-config.yaml"))
    assert any("runner/config.py" in x.message for x in found if x.rule == "env-names")


def test_cluster_local_services_must_stay_cluster_local():
    doc = base("extension-runner.yaml")
    del doc["metadata"]["labels"]["networking.knative.dev/visibility"]
    assert "exposure" in {x.rule for x in violations(doc, base("runner-config.yaml"))}


def test_concurrency_must_match_gunicorn_threads():
    doc = base("execute.yaml")
    doc["spec"]["template"]["spec"]["containerConcurrency"] = 100
    assert "timeouts-consistent" in {x.rule for x in violations(doc, base("gateway-config.yaml"))}


def test_runner_concurrency_must_match_workers_x_threads():
    doc, config = base("extension-runner.yaml"), base("runner-config.yaml")
    assert "runner-concurrency" not in {x.rule for x in violations(doc, config)}
    config["data"]["RUNNER_THREADS"] = "8"
    assert "runner-concurrency" in {x.rule for x in violations(doc, config)}
    config["data"]["RUNNER_THREADS"] = "four"
    found = violations(doc, config)
    assert any("integers" in x.message for x in found if x.rule == "runner-concurrency")


def test_cli_reports_and_fails(tmp_path, capsys):
    broken = base("execute.yaml")
    broken["spec"]["template"]["spec"]["timeoutSeconds"] = 601
    path = tmp_path / "execute.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert v.main([str(path), str(KNATIVE / "base" / "gateway-config.yaml")]) == 1
    assert "timeout-seconds" in capsys.readouterr().err
    assert v.main([str(KNATIVE / "base")]) == 0


def test_non_integer_timing_settings_are_reported_not_crashed():
    config = base("gateway-config.yaml")
    config["data"]["GUNICORN_WORKERS"] = "two"
    found = violations(base("execute.yaml"), config)
    assert any("not an integer" in x.message for x in found if x.rule == "timeouts-consistent")
