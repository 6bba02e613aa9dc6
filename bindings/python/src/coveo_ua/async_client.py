"""AsyncClient: Client for asyncio code; no call blocks the event loop."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from ._args import EventKind, event_json, kind_value
from ._native import PathLike
from ._waits import WaitThreads
from .client import BatchLike, Client, ClientClosedError, EventLike, KindLike, Result
from .errors import InvalidArgumentError

#: Sends an AsyncClient has in flight at once unless told otherwise: 100
#: concurrent sends to a service 50 ms away take about one round trip.
DEFAULT_MAX_CONCURRENCY = 128
#: The name of an AsyncClient's threads (numbered from 1).
THREAD_NAME = "coveo_ua.AsyncClient send"


class AsyncClient:
    """A Client whose sends are awaited: ``await client.send_custom(event)``.

    Takes Client's arguments, plus ``max_concurrency``: how many sends are in
    flight at once (each on a thread of this client, started when first
    needed); more wait for a free thread. Events are serialized on the
    calling thread, when ``send`` is called, so changing a mapping afterwards
    changes nothing sent. Results and exceptions are Client's: a Result, or
    the UAError subclass of the failure's code.

    Cancelling the awaiting task (``task.cancel()``, ``asyncio.wait_for``
    running out) returns at once with CancelledError. A send not yet started
    is then never made; one in flight runs to its end on its thread (never
    past the client's deadline), so its event may still be delivered, and its
    outcome is dropped.

    Use ``async with AsyncClient(...) as client`` or ``await client.aclose()``.
    The underlying blocking Client is ``client.sync``, for code that is not
    asynchronous. After ``fork()`` the child starts its own threads on its
    first send.
    """

    def __init__(
        self,
        token: str,
        endpoint: Optional[str] = None,
        org: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        max_retries: Optional[int] = None,
        backoff: Optional[Tuple[float, float]] = None,
        user_agent: Optional[str] = None,
        local_checks: bool = True,
        ca_file: Optional[PathLike] = None,
        proxy: Optional[str] = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) or max_concurrency < 1:
            raise InvalidArgumentError(f"max_concurrency must be an int of 1 or more, got {max_concurrency!r}")
        #: The blocking Client every send goes through.
        self.sync = Client(
            token,
            endpoint,
            org,
            timeout=timeout,
            deadline=deadline,
            max_retries=max_retries,
            backoff=backoff,
            user_agent=user_agent,
            local_checks=local_checks,
            ca_file=ca_file,
            proxy=proxy,
        )
        self._threads = WaitThreads(max_concurrency, THREAD_NAME)

    async def send(self, kind: KindLike, event: Union[EventLike, BatchLike], deadline: Optional[float] = None) -> Result:
        """Sends one event; the awaiting task waits, the loop does not. See
        Client.send for the arguments, the result and the exceptions."""
        if self.sync.closed:
            raise ClientClosedError("this coveo_ua.AsyncClient is closed; create a new one to send more events")
        kind_number = kind_value(kind)
        data = event_json(kind_number, event)
        return await self._threads.call(self.sync.send, kind_number, data, deadline)

    async def send_search(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a search event (see send)."""
        return await self.send(EventKind.SEARCH, event, deadline)

    async def send_click(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a click event (see send)."""
        return await self.send(EventKind.CLICK, event, deadline)

    async def send_custom(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a custom event (see send)."""
        return await self.send(EventKind.CUSTOM, event, deadline)

    async def send_view(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a view event (see send)."""
        return await self.send(EventKind.VIEW, event, deadline)

    async def send_search_batch(self, events: BatchLike, deadline: Optional[float] = None) -> Result:
        """Sends search events in one request (see Client.send_search_batch)."""
        return await self.send(EventKind.SEARCH_BATCH, events, deadline)

    async def send_collect(self, event: EventLike, deadline: Optional[float] = None) -> Result:
        """Sends a collect event (see Client.send_collect)."""
        return await self.send(EventKind.COLLECT, event, deadline)

    @property
    def closed(self) -> bool:
        """True once aclose() was called."""
        return self.sync.closed

    async def aclose(self) -> None:
        """Stops taking sends (they raise ClientClosedError) and lets the
        client's threads end. Never waits for sends in flight: they finish on
        their threads, and the last one frees the C client. Calling it again
        does nothing."""
        self.sync.close()
        self._threads.stop()

    def __del__(self) -> None:
        # A forgotten aclose() must not leave the client's idle threads behind
        # (they hold the blocking Client, not this object); at interpreter
        # exit the module may be half gone, which is harmless to ignore.
        try:
            self._threads.stop()
        except Exception:
            pass

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<coveo_ua.AsyncClient {'closed' if self.closed else 'open'}>"


__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncClient"]
