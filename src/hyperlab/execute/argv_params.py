"""Params read from a command line: ``--lr 0.1``, ``--layers=3``, ``optim=adam``, ``--flag``.

Values become ints, floats, booleans (``true``/``false``) or ``None`` (``null``/``none``) when
they read as such, else stay text. The program and its positional arguments (``train.py``) and
single-dash options (``-m pkg``) are not params.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hyperlab.errors import InvalidValueError

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.IGNORECASE)


def parse_value(text: str) -> Any:
    """A param value from text: int, float, bool, None or the text itself.

    Example:
        >>> [parse_value(t) for t in ["3", "0.1", "1e-3", "true", "adam"]]
        [3, 0.1, 0.001, True, 'adam']
    """
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"null", "none"}:
        return None
    if re.fullmatch(r"[+-]?\d+", text.strip()):
        return int(text)
    if _NUMBER.match(text.strip()):
        return float(text)
    return text


def _looks_like_value(token: str) -> bool:
    return not token.startswith("-") or bool(_NUMBER.match(token))


def _key(name: str) -> str:
    return name.replace("-", "_")


def params_from_argv(argv: Sequence[str]) -> dict[str, Any]:
    """Params from a command's arguments (``argv[0]``, the program, is skipped).

    Example:
        >>> params_from_argv(["python", "train.py", "--lr", "0.1", "--layers=3", "opt=adam"])
        {'lr': 0.1, 'layers': 3, 'opt': 'adam'}
    """
    found: dict[str, Any] = {}
    tokens = list(argv[1:])
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":
            continue
        if token.startswith("--") and len(token) > 2:
            body = token[2:]
            if "=" in body:
                name, value = body.split("=", 1)
                if _KEY.match(name):
                    found[_key(name)] = parse_value(value)
                continue
            if not _KEY.match(body):
                continue
            if i < len(tokens) and _looks_like_value(tokens[i]) and "=" not in tokens[i]:
                found[_key(body)] = parse_value(tokens[i])
                i += 1
            else:
                found[_key(body)] = True
            continue
        if not token.startswith("-") and "=" in token:
            name, value = token.split("=", 1)
            name = name.lstrip("+~")  # hydra's +key=value / ~key
            if _KEY.match(name):
                found[name] = parse_value(value)
    return found


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """Params from ``--set key=value`` options.

    Raises:
        InvalidValueError: for an item without ``=`` or with an empty key.
    """
    found: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidValueError(f"--set expects key=value, got {item!r}; e.g. --set lr=0.1")
        found[name.strip()] = parse_value(value)
    return found
