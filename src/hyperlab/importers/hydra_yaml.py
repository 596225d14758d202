"""A fast reader for the plain block YAML that Hydra writes in ``.hydra/config.yaml``.

Reading 10,000 configs with PyYAML spends most of its time in PyYAML's Python constructor, even
with the C parser. Hydra's configs are written by ``OmegaConf.to_yaml`` in a regular block style:
``key: scalar``, ``key:`` followed by an indented block, ``- scalar`` list items. This module reads
exactly that subset and gives up (returns None) on anything else: quotes other than simple single
quotes, flow collections, anchors, tags, comments, multi-line scalars, lists of mappings, and
every scalar whose YAML 1.1 type is not obvious (anything starting with a digit that is not a
plain int or float, such as dates, octal or sexagesimal numbers). The caller then uses the full
YAML loader, so the result is always the same as PyYAML's (a property test checks this).
"""

from __future__ import annotations

import re
from typing import Any

_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_NULL = frozenset({"~", "null", "Null", "NULL"})
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$")
_RISKY_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@`0123456789+.~= ")


class _GiveUpError(Exception):
    """The text uses YAML outside the fast subset."""


def _scalar(text: str) -> Any:
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text == "???":  # OmegaConf's "missing" marker
        return text
    first = text[0]
    if first == "'":
        if len(text) < 2 or text[-1] != "'":
            raise _GiveUpError
        inner = text[1:-1]
        if "'" in inner.replace("''", ""):
            raise _GiveUpError
        return inner.replace("''", "'")
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _NULL:
        return None
    if first in _RISKY_FIRST:
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        raise _GiveUpError
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        raise _GiveUpError
    return text


def _key(text: str) -> str:
    if not _KEY.match(text) or text in _TRUE or text in _FALSE or text in _NULL:
        raise _GiveUpError
    return text


class _Lines:
    def __init__(self, text: str) -> None:
        self.indents: list[int] = []
        self.contents: list[str] = []
        for line in text.split("\n"):
            stripped = line.rstrip(" ")
            if not stripped:
                continue
            content = stripped.lstrip(" ")
            if content[0] in "#%" or content.startswith("---") or not content.isprintable():
                raise _GiveUpError
            self.indents.append(len(stripped) - len(content))
            self.contents.append(content)
        self.n = len(self.contents)


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


def _block(lines: _Lines, i: int, indent: int) -> tuple[Any, int]:
    if _is_item(lines.contents[i]):
        return _list(lines, i, indent)
    return _map(lines, i, indent)


def _map(lines: _Lines, i: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while i < lines.n and lines.indents[i] >= indent:
        if lines.indents[i] > indent:
            raise _GiveUpError
        content = lines.contents[i]
        if _is_item(content):
            raise _GiveUpError
        if content.endswith(":"):
            key, rest = content[:-1], ""
        else:
            parts = content.split(": ", 1)
            if len(parts) != 2:
                raise _GiveUpError
            key, rest = parts[0], parts[1].strip(" ")
        key = _key(key)
        i += 1
        if rest:
            result[key] = _scalar(rest)
        elif i < lines.n and lines.indents[i] > indent:
            result[key], i = _block(lines, i, lines.indents[i])
        elif i < lines.n and lines.indents[i] == indent and _is_item(lines.contents[i]):
            result[key], i = _list(lines, i, indent)
        else:
            result[key] = None
    return result, i


def _list(lines: _Lines, i: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while i < lines.n and lines.indents[i] == indent and _is_item(lines.contents[i]):
        rest = lines.contents[i][2:].strip(" ")
        if not rest or _is_item(rest) or ": " in rest or rest.endswith(":"):
            raise _GiveUpError
        items.append(_scalar(rest))
        i += 1
    if i < lines.n and lines.indents[i] > indent:
        raise _GiveUpError
    return items, i


def fast_load(text: str) -> dict[str, Any] | None:
    """The mapping in ``text`` when it is plain block YAML (else None: use a YAML loader).

    An empty document gives None too, so that the caller's loader decides what it means.
    """
    try:
        lines = _Lines(text)
        if lines.n == 0:
            return None
        if lines.n == 1 and lines.contents[0] == "{}" and lines.indents[0] == 0:
            return {}
        if lines.indents[0] != 0:
            return None
        result, end = _map(lines, 0, 0)
    except _GiveUpError:
        return None
    return result if end == lines.n else None
