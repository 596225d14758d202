"""Filling job templates safely: every value that reaches a shell is quoted.

A template is a Python format string (``"python train.py --lr {lr}"``). Fields name params
(dotted names such as ``{optim.lr}`` are looked up whole, never as attribute access), plus
``{job_name}`` and ``{hash}``. A format spec applies to the raw value first (``{lr:.3g}``), then
the result is quoted with :func:`shlex.quote`, so ``x; rm -rf ~`` arrives as one harmless word.
Literal braces are doubled: ``${{HOME}}`` renders as ``${HOME}``.
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Mapping, Sequence
from typing import Any

from hyperlab.errors import InvalidValueError

JOB_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
"""What a job name may contain: it becomes a directory name and a scheduler job name."""


def quote(value: Any) -> str:
    """The shell-quoted text form of a value (``True`` -> ``True``, ``"a b"`` -> ``'a b'``)."""
    return shlex.quote(value if isinstance(value, str) else str(value))


def normalise_newlines(text: str) -> str:
    """Turn Windows (``\\r\\n``) and old Mac (``\\r``) line ends into ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TemplateFormatter(string.Formatter):
    """A formatter that looks fields up by their whole name and optionally quotes values."""

    def __init__(self, quote_values: bool) -> None:
        super().__init__()
        self.quote_values = quote_values

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if field_name not in kwargs:
            valid = ", ".join(sorted(kwargs)) or "(none)"
            if field_name == "" or field_name.isdigit():
                raise InvalidValueError(
                    f"template field {{{field_name}}} is positional; name a param instead "
                    f"(valid: {valid}); write {{{{ and }}}} for literal braces"
                )
            raise InvalidValueError(
                f"template field {{{field_name}}} is not a param; valid: {valid}; "
                "write {{ and }} for literal braces (e.g. ${{HOME}})"
            )
        return kwargs[field_name], field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        text = format(value, format_spec)
        return quote(text) if self.quote_values else text


def fill_template(template: str, values: Mapping[str, Any], *, quote_values: bool = True) -> str:
    """Fill a template's ``{fields}`` from ``values``.

    Args:
        template: A Python format string; ``{name}`` and ``{name:spec}`` fields only.
        values: Field name -> value (flat params plus ``job_name`` and ``hash``).
        quote_values: Shell-quote each substituted value (always on for scripts).

    Returns:
        The filled text.

    Raises:
        InvalidValueError: A field is not in ``values`` or the template is malformed.
    """
    try:
        return _TemplateFormatter(quote_values).vformat(template, (), dict(values))
    except (ValueError, IndexError) as err:
        if isinstance(err, InvalidValueError):
            raise
        raise InvalidValueError(
            f"cannot fill template {template[:80]!r}: {err}; use {{param}} fields and double "
            "literal braces"
        ) from None


def template_fields(template: str) -> list[str]:
    """The field names a template uses, in order of first appearance."""
    seen: list[str] = []
    try:
        for _, field, _, _ in string.Formatter().parse(template):
            if field is not None and field not in seen:
                seen.append(field)
    except ValueError as err:
        raise InvalidValueError(f"malformed template {template[:80]!r}: {err}") from None
    return seen


def check_job_name(name: str) -> str:
    """Return ``name`` if it is a valid job name, else raise with what is allowed."""
    if not JOB_NAME_RE.fullmatch(name):
        raise InvalidValueError(
            f"job name {name!r} is not valid: use only letters, digits, '.', '_' and '-' "
            "(fill the name format with simple values or use {hash})"
        )
    if name in {".", ".."}:
        raise InvalidValueError(f"job name {name!r} is not valid: it must name a directory")
    return name
