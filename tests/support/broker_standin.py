"""A small Knative Broker stand-in: real HTTP ingress, triggers, delivery policy.

It delivers the way the default (MT channel-based) Broker does, so the CloudEvents
entry point can be tested end to end without a cluster:

- ingress: ``POST {url}`` with a binary or structured CloudEvent -> 202;
- triggers: exact-match attribute filters, one subscriber URL each;
- delivery: binary content mode, ``Prefer: reply``; 2xx = success; a 2xx whose body
  is a CloudEvent is a reply, put back on the ingress path (and routed by triggers);
  a 2xx with a non-empty body that is not a CloudEvent counts as 502;
- retries on 5xx, 404, 408, 409, 429, timeouts and connection errors, ``retry`` times
  with exponential or linear backoff (``backoff_delay_s * 2**n`` / ``* (n+1)``);
- dead letter after the last retry, or at once on any other status, with the
  ``knativeerrorcode``/``knativeerrordest``/``knativeerrordata`` extensions.

Delays are in seconds and meant to be small in tests; every delivery is recorded in
``attempts``.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from cloudevents.conversion import to_binary
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent, from_http

RETRIED_STATUSES = frozenset({404, 408, 409, 429})


@dataclass(frozen=True)
class Trigger:
    name: str
    subscriber: str
    filter: dict[str, str]

    def matches(self, event: CloudEvent) -> bool:
        return all(event.get(key) == value for key, value in self.filter.items())


@dataclass(frozen=True)
class Attempt:
    trigger: str
    event_id: str
    number: int  # 1 = first delivery
    status: int  # HTTP status, or 0 for a connection error / timeout
    at: float


@dataclass
class BrokerStandIn:
    retry: int = 3
    backoff_delay_s: float = 0.05
    backoff_policy: str = "exponential"
    timeout_s: float = 30.0
    triggers: list[Trigger] = field(default_factory=list)
    received: list[CloudEvent] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    dead_letters: list[CloudEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()  # conditions passed to wait_until may re-enter
        self._changed = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._session = requests.Session()
        self._server = _IngressServer(("127.0.0.1", 0), _IngressHandler)
        self._server.broker = self
        self._serve_thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> BrokerStandIn:
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for thread in list(self._threads):
            thread.join(timeout=self.timeout_s)
        self._session.close()

    def __enter__(self) -> BrokerStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- API for tests --------------------------------------------------------------

    def add_trigger(self, name: str, subscriber: str, **filter_attributes: str) -> None:
        self.triggers.append(Trigger(name, subscriber, dict(filter_attributes)))

    def publish(self, event: CloudEvent) -> None:
        """What the ingress does with an accepted event: fan out to matching triggers."""
        with self._changed:
            self.received.append(event)
            self._changed.notify_all()
        for trigger in self.triggers:
            if trigger.matches(event):
                thread = threading.Thread(target=self._deliver, args=(trigger, event), daemon=True)
                self._threads.append(thread)
                thread.start()

    def wait_until(self, condition: Callable[[], bool], timeout_s: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def attempts_for(self, trigger: str, event_id: str) -> list[Attempt]:
        with self._lock:
            return [a for a in self.attempts if a.trigger == trigger and a.event_id == event_id]

    # --- delivery -----------------------------------------------------------------

    def _deliver(self, trigger: Trigger, event: CloudEvent) -> None:
        headers, body = to_binary(event)
        headers = dict(headers) | {"Prefer": "reply"}
        for number in range(1, self.retry + 2):
            status, reply, response_body = self._attempt(trigger, headers, body)
            self._record(Attempt(trigger.name, event["id"], number, status, time.monotonic()))
            if 200 <= status < 300:
                if reply is not None:
                    self.publish(reply)
                return
            if not _retryable(status) or number == self.retry + 1:
                self._dead_letter(event, trigger, status, response_body)
                return
            time.sleep(self._backoff(number - 1))

    def _attempt(self, trigger: Trigger, headers: dict[str, str], body: bytes):
        try:
            response = self._session.post(
                trigger.subscriber, headers=headers, data=body, timeout=self.timeout_s
            )
        except requests.RequestException:
            return 0, None, b""
        if not 200 <= response.status_code < 300 or not response.content:
            return response.status_code, None, response.content
        try:
            reply = from_http(dict(response.headers), response.content)
        except GenericException:
            return 502, None, response.content  # a non-event 2xx body: the Broker's 502
        return response.status_code, reply, response.content

    def _backoff(self, retry_index: int) -> float:
        if self.backoff_policy == "linear":
            return self.backoff_delay_s * (retry_index + 1)
        return self.backoff_delay_s * (2**retry_index)

    def _dead_letter(self, event: CloudEvent, trigger: Trigger, status: int, body: bytes) -> None:
        attributes: dict[str, Any] = dict(event.get_attributes())
        attributes["knativeerrorcode"] = str(status)
        attributes["knativeerrordest"] = trigger.subscriber
        if body:
            attributes["knativeerrordata"] = base64.b64encode(body[:1024]).decode()
        with self._changed:
            self.dead_letters.append(CloudEvent(attributes, event.get_data()))
            self._changed.notify_all()

    def _record(self, attempt: Attempt) -> None:
        with self._changed:
            self.attempts.append(attempt)
            self._changed.notify_all()


def _retryable(status: int) -> bool:
    return status == 0 or status >= 500 or status in RETRIED_STATUSES


class _IngressServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    broker: BrokerStandIn


class _IngressHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _IngressServer

    def log_message(self, *_args: Any) -> None:
        return None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            event = from_http(dict(self.headers.items()), body)
        except GenericException:
            return self._answer(400)
        # Record before answering: whoever waits on the sender's 2xx (the broker's
        # delivery thread, which then notifies its waiters) must find the event here.
        self.server.broker.publish(event)
        self._answer(202)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()


class EventSink:
    """A subscriber that records every event it is sent and answers 202 (no reply).

    An event is in ``events`` before its 202 is sent, so a broker delivering here has
    it recorded by the time the attempt is logged and ``BrokerStandIn.wait_until``
    waiters are woken.
    """

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self._server = _IngressServer(("127.0.0.1", 0), _IngressHandler)
        self._server.broker = self  # type: ignore[assignment] - the handler calls publish()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def publish(self, event: CloudEvent) -> None:
        self.events.append(event)

    def __enter__(self) -> EventSink:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
