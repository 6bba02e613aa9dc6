"""Which queues are open, so that interpreter exit closes them and a forked
child leaves them alone.

An open queue is held here (strongly, as ``threading`` holds a running
thread): it lives until it is closed, so garbage collection never frees a C
queue on some arbitrary thread, possibly inside one of its own callbacks.

At exit, every open queue is closed with its ``close_timeout`` and freed.
This runs as an ``atexit`` handler, which Python calls before it starts
finalizing: the library's threads can still take the GIL for their
callbacks then, and once ``ua_queue_free`` has returned none of them calls
into Python again, so no thread of the library is left to touch a
finalizing interpreter. Queues asked for after that point are refused.
"""

from __future__ import annotations

import atexit
# Imported before the handler below is registered: atexit runs handlers last
# in, first out, so logging.shutdown comes after the queues' last messages.
import logging  # noqa: F401
import os
import threading
from typing import Any, Dict

_lock = threading.Lock()
_open: Dict[int, Any] = {}
_exiting = False


def adopt(queue: Any) -> bool:
    """Holds `queue` until `release`; False once the interpreter is exiting."""
    with _lock:
        if _exiting:
            return False
        _open[id(queue)] = queue
        return True


def release(queue: Any) -> None:
    """Lets go of a queue that closed."""
    with _lock:
        _open.pop(id(queue), None)


def _close_all_at_exit() -> None:
    global _exiting
    with _lock:
        _exiting = True
        queues = list(_open.values())
    for queue in queues:
        try:
            queue._close_at_exit()
        except BaseException:
            # Every queue must still be closed; exit goes on regardless.
            pass


def _after_fork_in_child() -> None:
    global _lock
    # A parent's thread may have held the lock at the fork; nobody here will
    # release it.
    _lock = threading.Lock()
    for queue in list(_open.values()):
        queue._after_fork_in_child()
    _open.clear()


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
