"""Fixture guest that misbehaves on purpose, to test the runner's limits.

- ``/spin``      loops forever (wall-clock timeout, fuel)
- ``/allocate``  grows a list without bound (memory cap)
- ``/trap``      raises an uncaught exception (a trap, not a timeout)
- ``/state``     increments a module-level counter (must be 1 on every fresh instance)
- ``/user``      calls a product import the runner links as a trap
- ``/sleep``     blocks in a host call (WASI clock) for ``?s=`` seconds
- ``/ok``        answers 200, proving the instance is healthy
"""

import json
import time

from wit_world import WitWorld as WitWorldProtocol
from wit_world.imports import types, user

calls_seen = 0


def respond(status: int, payload: object) -> types.ExecuteResponse:
    headers = [types.Header(name="content-type", value="application/json")]
    return types.ExecuteResponse(status=status, headers=headers, body=json.dumps(payload).encode())


def spin() -> types.ExecuteResponse:
    counter = 0
    while True:
        counter += 1


def allocate() -> types.ExecuteResponse:
    hoard = []
    while True:
        hoard.append(bytearray(1024 * 1024))


class WitWorld(WitWorldProtocol):
    def handler(self, request: types.ExecuteRequest) -> types.ExecuteResponse:
        global calls_seen
        path = request.http.url.split("?", 1)[0]
        if path == "/spin":
            return spin()
        if path == "/allocate":
            return allocate()
        if path == "/trap":
            raise RuntimeError("fixture trap")
        if path == "/state":
            calls_seen += 1
            return respond(200, {"calls_seen": calls_seen})
        if path == "/sleep":
            seconds = float(request.http.url.partition("?s=")[2] or "30")
            time.sleep(seconds)
            return respond(200, {"slept": seconds})
        if path == "/user":
            return respond(200, {"user": str(user.get_user())})
        return respond(200, {"ok": True, "path": path})
