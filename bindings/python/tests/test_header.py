"""The binding against include/coveo_ua.h: signatures, codes, event kinds.

The header is the contract other languages compile against; these tests make
any drift between it and the ctypes declarations or the exception classes fail.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import re
from typing import Any, Dict, List, Tuple

import pytest

import coveo_ua
from coveo_ua import _callbacks, _ffi, errors
from support import HEADER

# C type spelled in the header (normalized) -> the ctypes type the binding must use.
_OPAQUE = {
    "ua_options": _ffi.UaOptions,
    "ua_client": _ffi.UaClient,
    "ua_result": _ffi.UaResult,
    "ua_queue": _ffi.UaQueue,
}
_SCALARS: Dict[str, Any] = {
    "void": None,
    "ua_code": ctypes.c_int32,
    "ua_event_kind": ctypes.c_int32,
    "ua_counter": ctypes.c_int32,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "uint16_t": ctypes.c_uint16,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "bool": ctypes.c_bool,
    "char*": ctypes.c_char_p,
}
# Function pointer typedefs -> the CFUNCTYPE the binding declares for them
# (their own signatures are checked against the header too).
_CALLBACKS: Dict[str, Any] = {
    "ua_failure_callback": _ffi.FailureCallback,
    "ua_log_callback": _ffi.LogCallback,
}


def _header_text() -> str:
    if not HEADER.is_file():
        pytest.fail(f"{HEADER} is missing: the library's generated header is needed", pytrace=False)
    return HEADER.read_text()


def _without_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    return re.sub(r"//[^\n]*", " ", source)


def _normalize_type(spelled: str) -> str:
    """'const struct ua_client *' -> 'ua_client*'; 'const char *' -> 'char*'."""
    words = spelled.replace("*", " * ").split()
    words = [w for w in words if w not in ("const", "struct", "extern")]
    return "".join(words)


def _ctypes_for(normalized: str) -> Any:
    stars = normalized.count("*")
    base = normalized.rstrip("*")
    if base == "char" and stars == 1:
        return ctypes.c_char_p
    if base == "void" and stars == 1:
        return ctypes.c_void_p
    if base in _CALLBACKS and stars == 0:
        return _CALLBACKS[base]
    if base in _OPAQUE:
        assert stars >= 1, f"opaque type {base} used by value"
        result: Any = _OPAQUE[base]
        for _ in range(stars):
            result = ctypes.POINTER(result)
        return result
    assert base in _SCALARS, f"the test does not know the C type {base!r}"
    assert stars <= 1, f"unexpected pointer type {normalized!r}"
    # A pointer to a scalar: an array the library fills (ua_queue_counters).
    return ctypes.POINTER(_SCALARS[base]) if stars else _SCALARS[base]


def parse_prototypes(source: str) -> Dict[str, Tuple[str, List[str]]]:
    """Every `ua_*` function prototype: name -> (return type, [parameter types])."""
    code = _without_comments(source)
    # Preprocessor lines would glue onto the next declaration once flattened.
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))
    flat = " ".join(code.split())
    prototypes: Dict[str, Tuple[str, List[str]]] = {}
    pattern = re.compile(r"([A-Za-z_][\w\s\*]*?)\b(ua_\w+)\s*\(([^()]*)\)\s*;")
    for match in pattern.finditer(flat):
        returns, name, params = match.group(1), match.group(2), match.group(3)
        param_types: List[str] = []
        if params.strip() not in ("", "void"):
            for param in params.split(","):
                # Drop the parameter name (the last identifier).
                spelled = re.sub(r"\b\w+\s*$", "", param.strip())
                param_types.append(_normalize_type(spelled))
        prototypes[name] = (_normalize_type(returns), param_types)
    return prototypes


def parse_callback_typedefs(source: str) -> Dict[str, Tuple[str, List[str]]]:
    """Every `typedef R (*ua_x)(params);`: name -> (return type, [parameter types])."""
    flat = " ".join(_without_comments(source).split())
    pattern = re.compile(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(ua_\w+)\s*\)\s*\(([^()]*)\)\s*;")
    typedefs: Dict[str, Tuple[str, List[str]]] = {}
    for match in pattern.finditer(flat):
        params = [_normalize_type(re.sub(r"\b\w+\s*$", "", p.strip())) for p in match.group(3).split(",")]
        typedefs[match.group(2)] = (_normalize_type(match.group(1)), params)
    return typedefs


def parse_constants(source: str) -> Dict[str, int]:
    """Every UA_* integer constant, whether #define, static const or enum member."""
    text = _without_comments(source)
    constants: Dict[str, int] = {}
    for name, value in re.findall(r"#define\s+(UA_\w+)\s+\(?\s*(?:\(\s*\w+\s*\))?\s*(-?\d+)", text):
        constants[name] = int(value)
    for name, value in re.findall(r"\b(UA_\w+)\s*=\s*\(?\s*(?:\(\s*\w+\s*\))?\s*(-?\d+)", text):
        constants[name] = int(value)
    return constants


def _header_codes() -> Dict[str, int]:
    """The result-code constants of the header (kinds, versions, counters and levels excluded)."""
    constants = parse_constants(_header_text())
    others = ("UA_EVENT_", "UA_VERSION_", "UA_COUNTER_", "UA_LOG_")
    return {name: value for name, value in constants.items() if not name.startswith(others)}


def test_the_header_parser_finds_the_pinned_functions() -> None:
    # Guards the regex itself: a parser that finds nothing would pass the rest.
    prototypes = parse_prototypes(_header_text())
    for name in ("ua_version", "ua_send_event", "ua_client_new", "ua_result_free", "ua_options_set_proxy"):
        assert name in prototypes, f"{name} not found in {HEADER}"
    assert prototypes["ua_send_event"] == ("ua_code", ["ua_client*", "ua_event_kind", "char*", "ua_result**"])


def test_every_header_function_is_declared_with_matching_types() -> None:
    prototypes = parse_prototypes(_header_text())
    missing = sorted(set(prototypes) - set(_ffi.SIGNATURES))
    assert not missing, f"functions in the header without ctypes declarations: {missing}"
    for name, (returns, params) in prototypes.items():
        restype, argtypes = _ffi.SIGNATURES[name]
        assert restype == _ctypes_for(returns), f"{name}: restype {restype} vs header {returns!r}"
        expected = [_ctypes_for(p) for p in params]
        assert argtypes == expected, f"{name}: argtypes {argtypes} vs header {params}"
        function = getattr(_ffi.lib, name)
        assert function.restype == restype and function.argtypes == argtypes, f"{name} not declared on lib"


def test_every_callback_type_matches_its_typedef() -> None:
    typedefs = parse_callback_typedefs(_header_text())
    assert sorted(typedefs) == sorted(_CALLBACKS), f"callback typedefs in the header: {sorted(typedefs)}"
    for name, (returns, params) in typedefs.items():
        declared = _CALLBACKS[name]
        assert declared._restype_ == _ctypes_for(returns), f"{name}: returns {declared._restype_} vs {returns!r}"
        assert list(declared._argtypes_) == [_ctypes_for(p) for p in params], f"{name}: {declared._argtypes_} vs {params}"
        # CDLL-style (not PyDLL): the callback takes the GIL itself when called from C.
        assert not declared._flags_ & ctypes._FUNCFLAG_PYTHONAPI  # type: ignore[attr-defined]


def test_no_declared_function_is_missing_from_the_header() -> None:
    prototypes = parse_prototypes(_header_text())
    extra = sorted(set(_ffi.SIGNATURES) - set(prototypes))
    assert not extra, f"ctypes declarations with no prototype in the header: {extra}"


def test_the_library_code_table_matches_the_header() -> None:
    header_codes = _header_codes()
    assert header_codes.get("UA_OK") == 0, "UA_OK not found as 0 in the header"
    assert dict(errors.CODE_VALUES) == header_codes


def test_every_error_code_has_exactly_one_exception_class_and_vice_versa() -> None:
    header_codes = _header_codes()
    failing = {value: name for name, value in header_codes.items() if value != 0}
    for value, name in failing.items():
        cls = errors.ERROR_CLASSES[value]
        assert (cls.code, cls.name) == (value, name)
        assert issubclass(cls, coveo_ua.UAError)
        assert getattr(coveo_ua, cls.__name__) is cls, f"{cls.__name__} not exported by coveo_ua"
        assert cls.__name__ in coveo_ua.__all__
    classes_by_code = [errors.ERROR_CLASSES[v] for v in failing]
    assert len(set(classes_by_code)) == len(classes_by_code), "one class serves two codes"
    assert sorted(errors.ERROR_CLASS_NAMES) == sorted(cls.__name__ for cls in classes_by_code)
    assert set(coveo_ua.ERROR_CLASSES) == set(failing)


def test_the_loaded_library_names_every_known_code_alike() -> None:
    for value, name in coveo_ua.CODES.items():
        assert coveo_ua.code_name(value) == name


def test_an_unknown_code_raises_the_base_class() -> None:
    error = errors.make_error(199, "from a newer library")
    assert type(error) is coveo_ua.UAError
    assert (error.code, error.name, error.transient) == (199, "UA_UNKNOWN_CODE", False)
    assert coveo_ua.error_class(199) is coveo_ua.UAError


def test_event_kind_values_match_the_header() -> None:
    constants = parse_constants(_header_text())
    kinds = {name[len("UA_EVENT_") :]: value for name, value in constants.items() if name.startswith("UA_EVENT_")}
    assert kinds == {kind.name: kind.value for kind in coveo_ua.EventKind}


def test_queue_counters_are_the_headers_counters() -> None:
    constants = parse_constants(_header_text())
    counters = {n[len("UA_COUNTER_") :].lower(): v for n, v in constants.items() if n.startswith("UA_COUNTER_")}
    assert counters == coveo_ua.queue.COUNTER_NUMBERS
    assert [f.name for f in dataclasses.fields(coveo_ua.QueueCounters)] == list(counters)


def test_log_levels_map_every_header_level() -> None:
    constants = parse_constants(_header_text())
    levels = {v: n[len("UA_LOG_") :] for n, v in constants.items() if n.startswith("UA_LOG_")}
    python_names = {"ERROR": "ERROR", "WARN": "WARNING", "INFO": "INFO", "DEBUG": "DEBUG"}
    assert {v: logging.getLevelName(p) for v, p in _callbacks._LEVELS.items()} == {
        v: python_names[name] for v, name in levels.items()
    }
