"""Queue's waits for asyncio code: flush and close without blocking the loop.

Kept apart from queue.py (Queue takes these methods from QueueAsyncWaits), so
the queue's own code and its waits for event loops change independently.
"""

from __future__ import annotations

from typing import Any, Optional

from ._waits import call_in_new_thread


class QueueAsyncWaits:
    """``flush_async`` and ``close_async`` for Queue. Each wait runs on a
    thread of its own (a flush or close may take its whole timeout; it must
    never wait for a free thread), and the loop goes on meanwhile."""

    async def flush_async(self: Any, timeout: float) -> bool:
        """``await queue.flush_async(timeout)``: Queue.flush without blocking
        the event loop; same answer, same exceptions.

        Cancelling the awaiting task returns at once with CancelledError; the
        flush goes on on its thread until it returns (at most ``timeout``),
        which changes nothing in the queue.
        """
        return bool(await call_in_new_thread(self.flush, timeout, name="coveo_ua.Queue flush_async"))

    async def close_async(self: Any, timeout: Optional[float] = None) -> bool:
        """``await queue.close_async(timeout)``: Queue.close without blocking
        the event loop; same answer, same exceptions.

        Cancelling the awaiting task returns at once with CancelledError, but
        not the close: it goes on on its thread until done (at most
        ``timeout``, then the workers stop), and a later close() or
        close_async() returns its answer.
        """
        return bool(await call_in_new_thread(self.close, timeout, name="coveo_ua.Queue close_async"))
