"""Running the application under uvicorn with the timeouts a public service needs.

- header timeout (``header_timeout_s``): a connection whose request headers are
  not complete that long after it opened (or after its previous response) is
  closed, so a client that trickles its headers holds no more than a socket;
- keep-alive timeout (``keep_alive_s``): an idle connection is closed;
- a request head over :data:`MAX_HEADER_BYTES` gets 431 and the connection
  is closed;
- bodies are bounded in size and time by the application (:class:`ServeConfig`).

uvicorn serves every connection on one event loop and ranks in worker threads,
so one slow client never holds up another.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "HEADER_TIMEOUT_S",
    "KEEP_ALIVE_S",
    "MAX_HEADER_BYTES",
    "serve_app",
    "uvicorn_config",
]

HEADER_TIMEOUT_S = 10.0
"""Seconds a connection may take to send complete request headers."""
KEEP_ALIVE_S = 5
"""Seconds an idle keep-alive connection stays open."""
MAX_HEADER_BYTES = 16 << 10
"""The largest request head (request line and headers) accepted: 16 KiB."""
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nrequest headers are over 16 KiB\n"
)


def _protocol(header_timeout_s: float) -> type[H11Protocol]:
    class HeaderTimeoutProtocol(H11Protocol):
        """uvicorn's h11 protocol with a deadline on the request headers and a bound
        on their size (h11's own bound holds only for heads that arrive in pieces)."""

        _header_timer: asyncio.TimerHandle | None = None
        _head_bytes = 0

        def _arm(self) -> None:
            self._head_bytes = 0
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                end = data.find(b"\r\n\r\n")
                self._head_bytes += len(data) if end < 0 else end + 4
                if self._head_bytes > MAX_HEADER_BYTES:
                    self._disarm()
                    if not self.transport.is_closing():
                        self.transport.write(_TOO_LARGE)
                        self.transport.close()
                    return
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderTimeoutProtocol


def uvicorn_config(
    app: Starlette,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    keep_alive_s: int = KEEP_ALIVE_S,
    log_level: str = "warning",
    **extra: Any,
) -> uvicorn.Config:
    """A uvicorn configuration of ``app`` with the service's timeouts and bounds."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=_protocol(header_timeout_s),
        loop="asyncio",
        timeout_keep_alive=keep_alive_s,
        timeout_graceful_shutdown=5,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        access_log=False,
        log_level=log_level,
        server_header=False,
        **extra,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT or SIGTERM and then returning normally
    (uvicorn itself raises the signal again once it has stopped)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handlers = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


def serve_app(
    app: Starlette,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[int], None] | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` until SIGINT or SIGTERM, then return; ``on_ready`` gets the bound
    port (useful with ``port=0``)."""
    server = _Server(uvicorn_config(app, host=host, port=port, **options))

    async def run() -> None:
        task = asyncio.ensure_future(server.serve())
        while not server.started:
            if task.done():
                await task
                return
            await asyncio.sleep(0.02)
        if on_ready is not None:
            bound = server.servers[0].sockets[0].getsockname()[1]
            on_ready(int(bound))
        await task

    asyncio.run(run())
