"""Reading a client's request body without trusting its declared or actual size.

Used by the `execute` target and the CloudEvents entry point. A `Content-Length`
above the limit is refused before anything is read; a chunked or lying body is
read in bounded chunks and refused as soon as it passes the limit, so at most
`limit + 1` bytes are ever held in memory.
"""

from __future__ import annotations

import flask

from functions.errors import PayloadTooLarge

READ_CHUNK_BYTES = 64 * 1024


def read_body_limited(request: flask.Request, limit: int, what: str = "request body") -> bytes:
    """The body, or `PayloadTooLarge` ("<what> exceeds <limit> bytes") past `limit`."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(min(READ_CHUNK_BYTES, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    return b"".join(chunks)
