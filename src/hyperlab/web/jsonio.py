"""JSON responses that are strict JSON (NaN and infinities become null) and request parsing."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from hyperlab.errors import InvalidValueError


def clean(value: Any) -> Any:
    """A JSON-safe copy: non-finite floats to None, numpy scalars to Python, tuples to lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [clean(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):
        return clean(item())
    return str(value)


class JSON(Response):
    """A strict JSON response."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(clean(content), ensure_ascii=False, allow_nan=False).encode("utf-8")


def int_arg(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], with a clear error otherwise."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidValueError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise InvalidValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def float_arg(params: Mapping[str, str], name: str, default: float) -> float:
    """A float query parameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValueError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InvalidValueError(f"{name} must be a finite number, got {raw!r}")
    return value


def bool_arg(params: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean query parameter (``1/0``, ``true/false``)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise InvalidValueError(f"{name} must be true or false, got {raw!r}")


def id_list(params: Mapping[str, str], name: str, *, limit: int = 50) -> list[int]:
    """Comma-separated run ids."""
    raw = params.get(name, "")
    ids = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 18:
            raise InvalidValueError(f"{name} must be comma-separated run ids, got {part!r}")
        ids.append(int(part))
    if len(ids) > limit:
        raise InvalidValueError(f"at most {limit} runs at once in {name}, got {len(ids)}")
    return ids
