"""Encoding of values between Python and the store.

JSON documents are written here, never by a database driver, so SQLite and PostgreSQL hold
byte-identical text. Params and meta are flattened to dotted keys, and each value gets a numeric
and a string projection so the query compiler can compare and sort with an index.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Mapping
from typing import Any

from hyperlab.errors import InvalidValueError
from hyperlab.space.hashing import flatten_params


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays, tuples and sets into plain JSON-able Python values."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=repr)
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        return to_jsonable(item())
    tolist = getattr(value, "tolist", None)  # numpy array
    if callable(tolist):
        return to_jsonable(tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    raise InvalidValueError(
        f"cannot store a value of type {type(value).__name__}: {value!r}; "
        "use numbers, strings, booleans, None, lists or dicts of those"
    )


def dumps(value: Any) -> str:
    """Encode a JSON document the same way on every backend (NaN and inf allowed)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)


def loads(text: str | None) -> Any:
    """Decode a JSON document written by :func:`dumps` (None stays None)."""
    return None if text is None else json.loads(text)


def flatten(nested: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten nested dicts to dotted keys with storable values; lists are kept whole, an empty
    dict stays ``{}`` (the same keys as :func:`hyperlab.space.hashing.flatten_params`).

    Raises:
        InvalidValueError: when a key is not a string or a key is empty, or a value cannot be
            stored.
    """
    return {key: to_jsonable(value) for key, value in flatten_params(nested).items()}


def project(value: Any) -> tuple[float | None, str | None]:
    """The (numeric, string) projections of a value, used for indexed comparisons."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), None
    if isinstance(value, (int, float)):
        number = float(value)
        return (None if math.isnan(number) else number), None
    if isinstance(value, str):
        return None, value
    return None, None


def kv_rows(run_id: int, flat: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for the ``params``/``meta`` key-value tables."""
    rows = []
    for key, value in flat.items():
        num, text = project(value)
        rows.append({"run_id": run_id, "key": key, "value": dumps(value), "num": num, "str": text})
    return rows


def coerce_metric(key: str, value: Any) -> float:
    """A metric value as float; anything that is not a real number is a clear error."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"metric {key!r} must be a number, got {type(value).__name__} {value!r}; "
            "log text with run.set_meta() or run.note() instead"
        ) from None


def pack_steps(steps: list[int]) -> bytes:
    """Pack steps as little-endian int64 (array('q') is native-endian: fine on x86/ARM LE)."""
    return array("q", steps).tobytes()


def pack_floats(values: list[float]) -> bytes:
    """Pack floats as little-endian float64."""
    return array("d", values).tobytes()


def finite_or_none(value: float | None) -> float | None:
    """NaN becomes None: SQLite cannot store NaN and PostgreSQL sorts it above every number."""
    if value is None or math.isnan(value):
        return None
    return value
