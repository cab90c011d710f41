"""How the service is run by uvicorn: its timeouts and the HTTP protocol that enforces them.

uvicorn times out an idle keep-alive connection, but not a client that opens a connection and then
sends its request headers a byte at a time (a "slowloris"): each byte resets nothing and the
connection is held for as long as the client likes. :class:`HeaderTimeoutProtocol` closes a
connection whose request line and headers are not complete within ``header_timeout`` seconds of
the connection opening or of the previous response ending.
"""

from __future__ import annotations

import asyncio
import os

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a client has to send a complete request line and headers. A browser or an API client
#: sends them in one packet, in milliseconds; 10 s leaves room for a slow mobile link while a
#: slowloris client can hold a connection for no longer than that.
HEADER_TIMEOUT_SECONDS = 10.0
#: Environment variable that overrides :data:`HEADER_TIMEOUT_SECONDS` (read in every worker process).
HEADER_TIMEOUT_ENV = "SKILLS_ENGINE_HEADER_TIMEOUT"
#: Seconds an idle keep-alive connection stays open between requests (uvicorn's own timer).
KEEP_ALIVE_SECONDS = 5
#: Largest incomplete request head accepted, in bytes; real requests send well under 2 KB of headers.
MAX_HEADER_BYTES = 16 * 1024
#: Seconds in-flight requests get to finish when the server is stopped.
GRACEFUL_SHUTDOWN_SECONDS = 5


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's head (line and headers)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.header_timeout = header_timeout()
        self._header_deadline: asyncio.TimerHandle | None = None
        self._cycle_at_deadline = self.cycle
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._cycle_at_deadline = self.cycle
            self._header_deadline = self.loop.call_later(self.header_timeout, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _waiting_for_head(self) -> bool:
        # A new request's head has been parsed once uvicorn has started a new request/response cycle.
        return self.cycle is self._cycle_at_deadline

    def data_received(self, data: bytes) -> None:
        if self.cycle is None or self.cycle.response_complete:
            self._arm_header_deadline()
        super().data_received(data)
        if self._header_deadline is not None and not self._waiting_for_head():
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The keep-alive timer covers a silent client; the deadline covers one that trickles bytes.
        self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.logger.warning("request headers not complete within %.0f s: connection closed", self.header_timeout)
            self.transport.close()


def header_timeout() -> float:
    """Seconds a client has to send a request head: ``$SKILLS_ENGINE_HEADER_TIMEOUT`` or the default."""
    raw = os.environ.get(HEADER_TIMEOUT_ENV)
    if raw is None:
        return HEADER_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{HEADER_TIMEOUT_ENV} must be a positive number of seconds, got {raw!r}")
    return seconds


def uvicorn_options(host: str, port: int) -> dict:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``: address, timeouts and limits.

    The head deadline is read from :data:`HEADER_TIMEOUT_ENV` by each worker (see :func:`header_timeout`).

    Parameters
    ----------
    host, port
        Where to listen.
    """
    header_timeout()  # a bad override fails here, before the port is bound
    return {
        "host": host,
        "port": port,
        "http": HeaderTimeoutProtocol,
        "access_log": False,
        "log_level": "warning",
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
    }
