"""Stable content hashes of params: the same configuration gets the same name everywhere.

The hash is blake2b over a canonical JSON text, so it is identical across processes, machines and
Python versions (``hash()`` is salted per process and cannot be used). Canonical means:

- nested dicts are flattened to dotted keys (``{"optim": {"lr": 1}}`` == ``{"optim.lr": 1}``) and
  keys are sorted;
- tuples are lists; numpy scalars and arrays become Python numbers and lists;
- a float with an integral value is the int (``1.0`` == ``1``), other floats are rounded to 12
  significant digits, so ``0.1 + 0.2`` and ``0.3`` are the same configuration;
- booleans stay booleans (``True`` != ``1``); NaN and infinities have fixed spellings.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from hyperlab.errors import InvalidValueError

FLOAT_DIGITS = 12
"""Significant digits kept from a float before hashing (the identity tolerance)."""

DIGEST_BYTES = 16
"""Size of the blake2b digest: 32 hex characters."""


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts to dotted keys (lists are kept whole; an empty dict stays ``{}``).

    Raises:
        InvalidValueError: when a key is not a non-empty string.
    """
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str) or key == "":
            raise InvalidValueError(f"parameter names must be non-empty strings, got {key!r}")
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, full))
        else:
            flat[full] = value
    return flat


def canonical_value(value: Any) -> Any:
    """A JSON-able canonical form of one value (see the module docstring for the rules)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _canonical_float(value)
    if isinstance(value, Mapping):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [canonical_value(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item) and getattr(value, "ndim", 0) == 0:
        return canonical_value(item())
    tolist = getattr(value, "tolist", None)  # numpy array
    if callable(tolist):
        return canonical_value(tolist())
    if hasattr(value, "__fspath__"):
        return str(value)
    raise InvalidValueError(
        f"cannot hash a param value of type {type(value).__name__}: {value!r}; "
        "use numbers, strings, booleans, None, lists or dicts of those"
    )


def _canonical_float(value: float) -> Any:
    if math.isnan(value):
        return "__nan__"
    if math.isinf(value):
        return "__inf__" if value > 0 else "__-inf__"
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return float(f"{value:.{FLOAT_DIGITS}g}")


def canonical_json(params: Mapping[str, Any]) -> str:
    """The canonical JSON text of params (flattened, sorted, normalised values)."""
    flat = {k: canonical_value(v) for k, v in flatten_params(params).items()}
    return json.dumps(flat, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def params_hash(params: Mapping[str, Any]) -> str:
    """The stable content hash of a params dict, nested or flat.

    Args:
        params: Param name -> value; nested dicts and dotted keys hash the same.

    Returns:
        32 lowercase hex characters, identical across processes and machines.

    Raises:
        InvalidValueError: when a value cannot be represented (e.g. an arbitrary object).

    Example:
        >>> params_hash({"optim": {"lr": 0.1}}) == params_hash({"optim.lr": 0.1})
        True
    """
    text = canonical_json(params)
    return hashlib.blake2b(text.encode("ascii"), digest_size=DIGEST_BYTES).hexdigest()


def value_key(value: Any) -> str:
    """A canonical text of one value, usable as a dict key for unhashable values."""
    return json.dumps(canonical_value(value), sort_keys=True, separators=(",", ":"))
