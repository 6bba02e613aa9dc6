"""Which queues are open, so that the exit of every process that used one
closes it.

An open queue is held here (strongly, as ``threading`` holds a running
thread): it lives until it is closed, so garbage collection never frees a C
queue on some arbitrary thread, possibly inside one of its own callbacks.

At exit, every open queue that this process used is closed with its
``close_timeout`` and freed. This runs as an ``atexit`` handler, which Python
calls before it starts finalizing: the library's threads can still take the
GIL for their callbacks then, and once ``ua_queue_free`` has returned none of
them calls into Python again, so no thread of the library is left to touch a
finalizing interpreter. Queues asked for after that point are refused.

Forked children inherit this module's state as it was at the fork. A child
closes at its exit only the queues it used (see ``Queue._close_at_exit``): a
child that never touched a queue starts nothing. ``multiprocessing`` ends
its children with ``os._exit``, which skips ``atexit``, so a queue first used
in such a child is also closed by multiprocessing's own exit finalizers.
The lock below is per process, like a Queue's: one a parent's thread held at
the fork is never waited on in the child.
"""

from __future__ import annotations

import atexit
# Imported before the handler below is registered: atexit runs handlers last
# in, first out, so logging.shutdown comes after the queues' last messages.
import logging  # noqa: F401
import os
import sys
import threading
from typing import Any, Dict

_locks: Dict[int, threading.Lock] = {}
_open: Dict[int, Any] = {}
_exiting = False
# multiprocessing runs finalizers of priority 0 and above first, before it
# stops the child's own daemon children.
_MULTIPROCESSING_EXIT_PRIORITY = 0


def _lock() -> threading.Lock:
    """This process's lock (setdefault: made once, even by two threads at once)."""
    pid = os.getpid()
    lock = _locks.get(pid)
    if lock is None:
        lock = _locks.setdefault(pid, threading.Lock())
    return lock


def adopt(queue: Any) -> bool:
    """Holds `queue` until `release`; False once the interpreter is exiting.
    Called once, by the process making the queue."""
    with _lock():
        if _exiting:
            return False
        _open[id(queue)] = queue
    used_here(queue)
    return True


def used_here(queue: Any) -> None:
    """Called on the first use of `queue` in a process (the one that made
    it, or a forked child): in a ``multiprocessing`` child, which ends with
    ``os._exit``, multiprocessing's exit finalizers close it."""
    multiprocessing = sys.modules.get("multiprocessing")
    util = sys.modules.get("multiprocessing.util")
    if multiprocessing is None or util is None or multiprocessing.parent_process() is None:
        return
    # A child's registry is emptied when it starts (Process._bootstrap), so
    # this registers in this process only.
    util.Finalize(None, queue._close_at_exit, exitpriority=_MULTIPROCESSING_EXIT_PRIORITY)


def release(queue: Any) -> None:
    """Lets go of a queue that closed (in this process)."""
    with _lock():
        _open.pop(id(queue), None)


def _close_all_at_exit() -> None:
    global _exiting
    with _lock():
        _exiting = True
        queues = list(_open.values())
    for queue in queues:
        try:
            queue._close_at_exit()
        except BaseException:
            # Every queue must still be closed; exit goes on regardless.
            pass


atexit.register(_close_all_at_exit)
