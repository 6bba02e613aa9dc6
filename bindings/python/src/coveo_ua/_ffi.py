"""The ctypes declarations of every function of ``include/coveo_ua.h``.

This is the only module that knows C signatures. ``SIGNATURES`` is checked
against the header by ``tests/test_header.py``, so a change of the C contract
that is not mirrored here fails the test suite instead of corrupting memory.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ._library import find_library, load_library


class UaOptions(ctypes.Structure):
    """Opaque ``ua_options`` (only ever handled through a pointer)."""


class UaClient(ctypes.Structure):
    """Opaque ``ua_client`` (only ever handled through a pointer)."""


class UaResult(ctypes.Structure):
    """Opaque ``ua_result`` (only ever handled through a pointer)."""


class UaQueue(ctypes.Structure):
    """Opaque ``ua_queue`` (only ever handled through a pointer)."""


OptionsPtr = ctypes.POINTER(UaOptions)
ClientPtr = ctypes.POINTER(UaClient)
ResultPtr = ctypes.POINTER(UaResult)
QueuePtr = ctypes.POINTER(UaQueue)

# ua_code, ua_event_kind and ua_counter are int32_t in every signature.
CODE = ctypes.c_int32
KIND = ctypes.c_int32
COUNTER = ctypes.c_int32

#: ``ua_failure_callback``: (user_data, kind, event_json, result). CFUNCTYPE
#: callbacks take the GIL when the library calls them from its threads; the
#: binding passes NULL user_data (its trampolines are closures).
FailureCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, KIND, ctypes.c_char_p, ResultPtr)
#: ``ua_log_callback``: (user_data, level, message).
LogCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int32, ctypes.c_char_p)

# One entry per exported function: name -> (restype, argtypes).
# `const char *` results are declared c_char_p: ctypes copies them into a
# Python bytes object at once, which is what we want since the pointed-to text
# lives only as long as its owner (static, or the ua_result).
Signature = Tuple[Any, List[Any]]
SIGNATURES: Dict[str, Signature] = {
    "ua_version": (ctypes.c_char_p, []),
    "ua_error_describe": (ctypes.c_char_p, [CODE]),
    "ua_code_name": (ctypes.c_char_p, [CODE]),
    "ua_options_new": (OptionsPtr, []),
    "ua_options_free": (None, [OptionsPtr]),
    "ua_options_set_token": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_endpoint": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_org": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_timeout_ms": (CODE, [OptionsPtr, ctypes.c_uint32]),
    "ua_options_set_deadline_ms": (CODE, [OptionsPtr, ctypes.c_uint32]),
    "ua_options_set_max_retries": (CODE, [OptionsPtr, ctypes.c_uint32]),
    "ua_options_set_retry_backoff_ms": (CODE, [OptionsPtr, ctypes.c_uint32, ctypes.c_uint32]),
    "ua_options_set_user_agent": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_local_checks": (CODE, [OptionsPtr, ctypes.c_bool]),
    "ua_options_set_ca_file": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_proxy": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_last_error": (ctypes.c_char_p, [OptionsPtr]),
    "ua_client_new": (CODE, [OptionsPtr, ctypes.POINTER(ClientPtr)]),
    "ua_client_free": (None, [ClientPtr]),
    "ua_send_event": (CODE, [ClientPtr, KIND, ctypes.c_char_p, ctypes.POINTER(ResultPtr)]),
    "ua_send_event_with_deadline": (
        CODE,
        [ClientPtr, KIND, ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ResultPtr)],
    ),
    "ua_queue_new": (CODE, [OptionsPtr, ctypes.POINTER(QueuePtr)]),
    "ua_queue_enqueue": (CODE, [QueuePtr, KIND, ctypes.c_char_p]),
    "ua_queue_enqueue_with_result": (CODE, [QueuePtr, KIND, ctypes.c_char_p, ctypes.POINTER(ResultPtr)]),
    "ua_queue_flush": (CODE, [QueuePtr, ctypes.c_uint32]),
    "ua_queue_close": (CODE, [QueuePtr, ctypes.c_uint32]),
    "ua_queue_free": (None, [QueuePtr]),
    "ua_queue_counter": (ctypes.c_uint64, [QueuePtr, COUNTER]),
    "ua_queue_counters": (CODE, [QueuePtr, ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t]),
    "ua_options_set_queue_capacity": (CODE, [OptionsPtr, ctypes.c_uint32, ctypes.c_uint64]),
    "ua_options_set_queue_workers": (CODE, [OptionsPtr, ctypes.c_uint32]),
    "ua_options_set_queue_max_age_ms": (CODE, [OptionsPtr, ctypes.c_uint64]),
    "ua_options_set_spool_dir": (CODE, [OptionsPtr, ctypes.c_char_p]),
    "ua_options_set_spool_capacity": (CODE, [OptionsPtr, ctypes.c_uint64]),
    "ua_options_set_spool_fsync_interval_ms": (CODE, [OptionsPtr, ctypes.c_uint32]),
    "ua_options_set_queue_backoff_ms": (CODE, [OptionsPtr, ctypes.c_uint32, ctypes.c_uint32]),
    "ua_options_set_failure_callback": (CODE, [OptionsPtr, FailureCallback, ctypes.c_void_p]),
    "ua_options_set_log_callback": (CODE, [OptionsPtr, LogCallback, ctypes.c_void_p, ctypes.c_int32]),
    "ua_result_code": (CODE, [ResultPtr]),
    "ua_result_http_status": (ctypes.c_uint16, [ResultPtr]),
    "ua_result_attempts": (ctypes.c_uint32, [ResultPtr]),
    "ua_result_error_type": (ctypes.c_char_p, [ResultPtr]),
    "ua_result_message": (ctypes.c_char_p, [ResultPtr]),
    "ua_result_visitor_id": (ctypes.c_char_p, [ResultPtr]),
    "ua_result_body": (ctypes.c_char_p, [ResultPtr]),
    "ua_result_free": (None, [ResultPtr]),
}


def declare(library: ctypes.CDLL) -> ctypes.CDLL:
    """Sets restype/argtypes of every function in SIGNATURES on `library`.

    A function missing from the library raises ImportError naming it, which
    points at a library older than this binding.
    """
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            function = getattr(library, name)
        except AttributeError as exc:
            raise ImportError(
                f"the loaded libcoveo_ua does not export {name}: it is older than "
                f"this binding; rebuild it (`make build`)"
            ) from exc
        function.restype = restype
        function.argtypes = argtypes
    return library


#: The path of the loaded library (see _library.find_library for the search order).
LIBRARY_PATH: Path = find_library()
#: The loaded library with every function declared.
lib: ctypes.CDLL = declare(load_library(LIBRARY_PATH))


def text(raw: Optional[bytes]) -> Optional[str]:
    """Decodes a C string returned by the library (None stays None)."""
    if raw is None:
        return None
    return raw.decode("utf-8", errors="replace")
