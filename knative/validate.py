"""Validate Knative manifests offline: CRD schemas, admission rules, and our own rules.

``kn service apply`` would send each object to a cluster that checks it twice: the
CRD's OpenAPI schema, then the Knative admission webhook. Neither runs here, so this
module applies both (schemas in ``knative/schemas``, converted from the Knative v1.22
CRDs; the webhook rules the schemas cannot express, re-stated below) plus rules that
tie the manifests to this repository (images, env names, timeouts, exposure).

    python knative/validate.py knative/base knative/overlays/prod/domainmapping.yaml
    python knative/render.py build knative/overlays/dev | python knative/validate.py -

Every rule is a function ``(doc, context) -> list[str]`` in ``RULES``; the tests break
a manifest once per rule to prove each one can fail.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

KNATIVE_DIR = Path(__file__).resolve().parent
REPO_ROOT = KNATIVE_DIR.parent
SCHEMA_DIR = KNATIVE_DIR / "schemas"
RESERVED_ENV = frozenset({"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"})
# queue-proxy and its metrics/profiling ports, plus the user port Knative proxies from.
RESERVED_PORTS = frozenset({8012, 8013, 8022, 8112, 9090, 9091})
PORT_NAMES = frozenset({"", "http1", "h2c"})
AUTOSCALING_PREFIX = "autoscaling.knative.dev/"
CLUSTER_LOCAL = ("networking.knative.dev/visibility", "cluster-local")
# Our images, by repository suffix, and the modules that read their environment.
IMAGE_CONFIG_MODULES = {
    "extgate/functions": (REPO_ROOT / "functions" / "config.py",),
    "extgate/runner": (
        REPO_ROOT / "runner" / "config.py",
        REPO_ROOT / "runner" / "gunicorn_conf.py",
    ),
}
PUBLIC_SERVICES = frozenset({"ui-proxy"})
CLUSTER_LOCAL_SERVICES = frozenset({"execute", "execute-event", "health", "extension-runner"})
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
_IMAGE = re.compile(
    r"^(?:(?:[a-z0-9-]+\.[a-z0-9.-]+|localhost)(?::\d+)?/)?"  # registry host, if any
    r"(?P<repo>[a-z0-9._/-]+?)(?::[\w.-]+|@sha256:[0-9a-f]{64})$"  # tag or digest required
)


@dataclass(frozen=True)
class Violation:
    source: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: [{self.rule}] {self.message}"


@dataclass
class Context:
    """Everything a rule may look at besides its own document."""

    documents: list[dict[str, Any]] = field(default_factory=list)

    def config_map(self, name: str) -> dict[str, str]:
        for doc in self.documents:
            if doc.get("kind") == "ConfigMap" and doc.get("metadata", {}).get("name") == name:
                return doc.get("data") or {}
        return {}


# --- schemas -------------------------------------------------------------------------


@cache
def _schema(api_version: str, kind: str) -> Draft7Validator | None:
    if "/" not in api_version:
        return None  # core kinds (ConfigMap, Secret): no CRD schema
    group, version = api_version.split("/", 1)
    path = SCHEMA_DIR / group / f"{kind.lower()}_{version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    _allow_delivery_extras(schema)
    return Draft7Validator(schema)


def _allow_delivery_extras(schema: dict[str, Any]) -> None:
    """The converter closed ``delivery``; real clusters accept timeout/retryAfterMax."""
    delivery = schema.get("properties", {}).get("spec", {}).get("properties", {}).get("delivery")
    if delivery is not None:
        delivery["properties"].setdefault("timeout", {"type": "string"})
        delivery["properties"].setdefault("retryAfterMax", {"type": "string"})


def check_schema(doc: dict[str, Any], _ctx: Context) -> list[str]:
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    if kind in ("ConfigMap", "Secret") and api_version == "v1":
        return _check_core_data(doc)
    validator = _schema(api_version, kind)
    if validator is None:
        return [f"no schema for {api_version} {kind}: not a kind this project deploys"]
    return [
        f"{'/'.join(map(str, err.absolute_path)) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]


def _check_core_data(doc: dict[str, Any]) -> list[str]:
    problems = []
    if not doc.get("metadata", {}).get("name"):
        problems.append("metadata.name is required")
    for section in ("data", "stringData"):
        values = doc.get(section) or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()):
            problems.append(f"{section} values must be strings (quote numbers)")
    return problems


# --- Knative admission-webhook rules the schemas do not encode -----------------------


def _services(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == "Service" and doc.get("apiVersion", "").startswith("serving.")


def _revision_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("spec", {}).get("template", {}).get("spec", {})


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return _revision_spec(doc).get("containers") or []


def _template_annotations(doc: dict[str, Any]) -> dict[str, str]:
    return doc.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations") or {}


def check_annotation_placement(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    top = doc.get("metadata", {}).get("annotations") or {}
    return [
        f"metadata.annotations[{name}]: autoscaling annotations belong under "
        "spec.template.metadata.annotations"
        for name in top
        if name.startswith(AUTOSCALING_PREFIX)
    ]


def check_timeout_seconds(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    timeout = _revision_spec(doc).get("timeoutSeconds")
    if timeout is not None and not 0 < timeout <= 600:
        return [f"timeoutSeconds {timeout} must be in 1..600"]
    return []


def check_container_concurrency(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    value = _revision_spec(doc).get("containerConcurrency")
    if value is not None and not 0 <= value <= 1000:
        return [f"containerConcurrency {value} must be in 0..1000"]
    return []


def check_reserved_env(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    return [
        f"container {c.get('name')}: env {e['name']} is reserved (set by Knative)"
        for c in _containers(doc)
        for e in c.get("env") or []
        if e.get("name") in RESERVED_ENV
    ]


def check_ports(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    problems = []
    for container in _containers(doc):
        ports = container.get("ports") or []
        if len(ports) > 1:
            problems.append(f"container {container.get('name')}: at most one port")
        for port in ports:
            if port.get("name", "") not in PORT_NAMES:
                problems.append(f"port name {port.get('name')!r} must be '', http1 or h2c")
            if port.get("containerPort") in RESERVED_PORTS:
                problems.append(f"containerPort {port['containerPort']} is reserved by Knative")
    return problems


def check_trigger_wiring(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if doc.get("kind") != "Trigger":
        return []
    spec = doc.get("spec") or {}
    problems = []
    if not spec.get("broker"):
        problems.append("spec.broker is required")
    subscriber = spec.get("subscriber") or {}
    if not (subscriber.get("ref") or subscriber.get("uri")):
        problems.append("spec.subscriber needs a ref or a uri")
    return problems


# --- our rules -----------------------------------------------------------------------


def _image_repo(image: str) -> str | None:
    match = _IMAGE.match(image or "")
    return match.group("repo") if match else None


def _our_modules(image: str) -> tuple[Path, ...] | None:
    repo = _image_repo(image) or ""
    for suffix, modules in IMAGE_CONFIG_MODULES.items():
        if repo == suffix or repo.endswith("/" + suffix):
            return modules
    return None


def check_images_are_ours(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    return [
        f"image {c.get('image')!r} is not extgate/functions or extgate/runner with a tag or digest"
        for c in _containers(doc)
        if _our_modules(c.get("image", "")) is None
    ]


@cache
def env_names(module: Path) -> frozenset[str]:
    """Every ALL_CAPS string literal in a config module: the env names it reads."""
    tree = ast.parse(module.read_text())
    return frozenset(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _ENV_NAME.match(node.value)
    )


def check_env_names_exist(doc: dict[str, Any], ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    problems = []
    for container in _containers(doc):
        modules = _our_modules(container.get("image", ""))
        if modules is None:
            continue
        known = frozenset().union(*(env_names(m) for m in modules))
        names = [e.get("name") for e in container.get("env") or []]
        for source in container.get("envFrom") or []:
            ref = (source.get("configMapRef") or {}).get("name")
            if ref:
                names.extend(ctx.config_map(ref))
        for name in names:
            if name not in known:
                where = " or ".join(str(m.relative_to(REPO_ROOT)) for m in modules)
                problems.append(f"env {name} is not read by {where} (typo or stale setting?)")
    return problems


def check_timeouts_consistent(doc: dict[str, Any], ctx: Context) -> list[str]:
    """The gateway's own 504 must fire before the queue-proxy's, and the grace period
    (= timeoutSeconds) must cover gunicorn's graceful drain."""
    if not _services(doc):
        return []
    timeout = _revision_spec(doc).get("timeoutSeconds", 300)
    problems = []
    for container in _containers(doc):
        if _our_modules(container.get("image", "")) != IMAGE_CONFIG_MODULES["extgate/functions"]:
            continue
        env = _container_env(container, ctx)
        try:
            problems.extend(_timing_problems(env, timeout, _revision_spec(doc)))
        except ValueError as exc:
            problems.append(f"a timing setting is not an integer: {exc}")
    return problems


def _container_env(container: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Literal env of a container: its ConfigMaps, then its own ``env`` values."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom") or []:
        env.update(ctx.config_map((source.get("configMapRef") or {}).get("name", "")))
    env.update({e["name"]: e.get("value") for e in container.get("env") or [] if "value" in e})
    return env


def check_runner_concurrency(doc: dict[str, Any], ctx: Context) -> list[str]:
    """The runner's containerConcurrency = RUNNER_WORKERS x RUNNER_THREADS, so the
    queue-proxy never hands a pod more requests than it has gunicorn threads."""
    if not _services(doc):
        return []
    concurrency = _revision_spec(doc).get("containerConcurrency")
    problems = []
    for container in _containers(doc):
        if _our_modules(container.get("image", "")) != IMAGE_CONFIG_MODULES["extgate/runner"]:
            continue
        env = _container_env(container, ctx)
        try:
            problems.extend(_concurrency_problems(env, "RUNNER", concurrency))
        except ValueError:
            problems.append("RUNNER_WORKERS and RUNNER_THREADS must be integers")
    return problems


def _concurrency_problems(env: dict[str, Any], prefix: str, concurrency: Any) -> list[str]:
    """containerConcurrency against ``{prefix}_WORKERS`` x ``{prefix}_THREADS`` (gunicorn).

    Nothing to check unless all three are set. Raises ``ValueError`` naming the setting
    when workers or threads is not a non-negative integer literal.
    """
    names = (f"{prefix}_WORKERS", f"{prefix}_THREADS")
    workers, threads = (env.get(name) for name in names)
    if not (workers and threads and concurrency):
        return []
    for name, value in zip(names, (workers, threads), strict=True):
        if not str(value).isdigit():
            raise ValueError(f"{name}={value!r}")
    if int(workers) * int(threads) != concurrency:
        return [f"containerConcurrency {concurrency} != {names[0]} x {names[1]}"]
    return []


def _timing_problems(env: dict[str, str], timeout: int, spec: dict[str, Any]) -> list[str]:
    problems = []
    gateway_s = int(env.get("EXT_GATEWAY_TIMEOUT_MS", 30000)) / 1000
    graceful = int(env.get("GUNICORN_GRACEFUL_TIMEOUT_S", gateway_s + 5))
    if timeout <= gateway_s:
        problems.append(f"timeoutSeconds {timeout} must exceed EXT_GATEWAY_TIMEOUT_MS")
    if timeout < graceful:
        problems.append(f"timeoutSeconds {timeout} < GUNICORN_GRACEFUL_TIMEOUT_S {graceful}")
    problems.extend(_concurrency_problems(env, "GUNICORN", spec.get("containerConcurrency")))
    return problems


def check_exposure(doc: dict[str, Any], _ctx: Context) -> list[str]:
    if not _services(doc):
        return []
    name = doc.get("metadata", {}).get("name")
    labels = doc.get("metadata", {}).get("labels") or {}
    local = labels.get(CLUSTER_LOCAL[0]) == CLUSTER_LOCAL[1]
    annotations = _template_annotations(doc)
    problems = []
    if name in CLUSTER_LOCAL_SERVICES and not local:
        problems.append(f"{name} must carry {CLUSTER_LOCAL[0]}: {CLUSTER_LOCAL[1]}")
    if name in PUBLIC_SERVICES:
        if local:
            problems.append(f"{name} is the public UI entry and must not be cluster-local")
        min_scale = annotations.get(AUTOSCALING_PREFIX + "min-scale", "0")
        if not min_scale.isdigit() or int(min_scale) < 1:
            problems.append(f"{name} needs min-scale >= 1 (no cold start behind an iframe)")
        if annotations.get(AUTOSCALING_PREFIX + "target-burst-capacity") != "0":
            problems.append(f"{name} needs target-burst-capacity 0 (activator off the path)")
    return problems


Rule = Callable[[dict[str, Any], Context], list[str]]
RULES: dict[str, Rule] = {
    "schema": check_schema,
    "annotation-placement": check_annotation_placement,
    "timeout-seconds": check_timeout_seconds,
    "container-concurrency": check_container_concurrency,
    "reserved-env": check_reserved_env,
    "ports": check_ports,
    "trigger-wiring": check_trigger_wiring,
    "images-ours": check_images_are_ours,
    "env-names": check_env_names_exist,
    "timeouts-consistent": check_timeouts_consistent,
    "runner-concurrency": check_runner_concurrency,
    "exposure": check_exposure,
}


def validate(documents: Iterable[tuple[str, dict[str, Any]]]) -> list[Violation]:
    """Run every rule on every document; ``documents`` are (source, object) pairs."""
    docs = list(documents)
    ctx = Context([doc for _src, doc in docs])  # rules only read documents, never change them
    return [
        Violation(source, rule, message)
        for source, doc in docs
        for rule, check in RULES.items()
        for message in check(doc, ctx)
    ]


def load_documents(paths: Iterable[Path | str]) -> list[tuple[str, dict[str, Any]]]:
    """YAML objects from files, directories (non-recursive *.yaml) or ``-`` (stdin)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for raw in paths:
        if str(raw) == "-":
            found.extend(_parse("<stdin>", sys.stdin.read()))
            continue
        path = Path(raw)
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            if file.name != "kustomization.yaml":
                found.extend(_parse(str(file), file.read_text()))
    return found


def _parse(source: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    label = (lambda d: source) if len(docs) == 1 else (lambda d: f"{source}#{_name(d)}")
    return [(label(doc), doc) for doc in docs]


def _name(doc: dict[str, Any]) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="knative/validate.py", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="YAML files, directories, or - for stdin")
    args = parser.parse_args(argv)
    documents = load_documents(args.paths)
    violations = validate(documents)
    for violation in violations:
        print(violation, file=sys.stderr)
    print(f"{len(documents)} objects, {len(violations)} violations")
    return 1 if violations or not documents else 0


if __name__ == "__main__":
    sys.exit(main())
