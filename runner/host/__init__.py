"""Host side of the `alga:extension` imports: what a guest can reach, and only that.

`HostServices` is built once per process (SQLite store, HTTP session, log sink).
For each request the engine asks it for a `RequestHost`, bound to one tenant,
extension and set of granted capabilities; every import call goes through it.
"""

from runner.host.errors import HostCallError
from runner.host.request_host import RequestHost
from runner.host.services import HostServices
from runner.host.values import ContextData, FetchedResponse, StoredEntry

__all__ = [
    "ContextData",
    "FetchedResponse",
    "HostCallError",
    "HostServices",
    "RequestHost",
    "StoredEntry",
]
