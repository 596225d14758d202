"""Command templates: ``"python train.py --lr {lr} --bs {bs}"`` filled with a run's params.

Every value is passed through :func:`shlex.quote` after formatting, so a param value such as
``x; touch canary`` reaches the program as one literal argument and never runs in the shell.
Placeholders name params by their flat (dotted) key: ``{optim.lr}``; a format spec applies to
the value before quoting: ``{lr:.3g}``. ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Mapping
from typing import Any

from hyperlab.errors import TemplateError

_FORMATTER = string.Formatter()


def placeholders(template: str) -> list[str]:
    """The placeholder names of a template, in order of appearance (duplicates kept once).

    Raises:
        TemplateError: when the template's braces are unbalanced or a placeholder is empty.
    """
    names: list[str] = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as err:
        raise TemplateError(f"cannot read command template {template!r}: {err}") from None
    for _literal, field, _spec, _conversion in parsed:
        if field is None:
            continue
        if not field.strip():
            raise TemplateError(
                f"command template {template!r} has an empty placeholder {{}}; name a param, "
                "e.g. {lr}"
            )
        if field not in names:
            names.append(field)
    return names


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def render_command(template: str, params: Mapping[str, Any]) -> str:
    """Fill a command template with params, shell-quoting every substituted value.

    Args:
        template: Shell command text with ``{name}`` placeholders (flat, dotted param keys).
        params: Flat params (``{"optim.lr": 0.1}``).

    Returns:
        The command, safe to hand to ``/bin/sh -c``.

    Raises:
        TemplateError: for an unknown placeholder (naming it and the available keys) or a bad
            format spec.

    Example:
        >>> render_command("python train.py --name {name}", {"name": "a b"})
        "python train.py --name 'a b'"
    """
    out: list[str] = []
    for literal, field, spec, conversion in _FORMATTER.parse(template):
        out.append(literal)
        if field is None:
            continue
        if field not in params:
            available = ", ".join(sorted(params)) or "(none)"
            raise TemplateError(
                f"command template {template!r} uses {{{field}}}, which is not a param of this "
                f"run; available keys: {available}"
            )
        value = params[field]
        if conversion == "r":
            value = repr(value)
        elif conversion == "s":
            value = str(value)
        try:
            text = format(value, spec) if spec else _text(value)
        except (ValueError, TypeError) as err:
            raise TemplateError(
                f"cannot format {{{field}:{spec}}} with value {value!r}: {err}"
            ) from None
        out.append(shlex.quote(text))
    return "".join(out)


_SHELL_SYNTAX = frozenset("$`*?~;&|<>()[]{}!#\n\\\"'")


def needs_shell(template: str) -> bool:
    """Whether a template uses shell syntax of its own (pipes, ``&&``, ``$VAR``, globs, quotes).

    Templates without any are run directly (``shlex.split`` of the filled command): no shell
    in between, so signals and exit codes reach the program itself.
    """
    for literal, _field, _spec, _conversion in _FORMATTER.parse(template):
        if any(ch in _SHELL_SYNTAX for ch in literal):
            return True
    return False
