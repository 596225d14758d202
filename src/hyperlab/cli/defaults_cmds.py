"""``hyperlab defaults STUDY [name=value ...]``: list or declare a study's param defaults."""

from __future__ import annotations

import json
from typing import Any

import click

from hyperlab.cli.context import CliContext, format_option


def parse_default_value(text: str) -> Any:
    """A default's value from the command line: JSON lists, objects and quoted strings, else
    a number, ``true``/``false``, ``null`` or the text itself."""
    from hyperlab.execute.argv_params import parse_value

    stripped = text.strip()
    if stripped[:1] in ("[", "{", '"'):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            pass
    return parse_value(text)


def _assignment(item: str) -> tuple[str, Any]:
    from hyperlab.errors import InvalidValueError

    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise InvalidValueError(
            f"expected name=value, got {item!r}; e.g. hyperlab defaults mnist dropout=0.1"
        )
    return name.strip(), parse_default_value(value)


@click.command("defaults")
@click.argument("study")
@click.argument("assignments", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "--when",
    "when",
    default=None,
    metavar="EXPR",
    help='Only when this condition on params holds, e.g. --when "lr < 0.001".',
)
@click.option("--force", is_flag=True, help="Allow changing the value of an existing default.")
@format_option
@click.pass_obj
def defaults_cmd(
    obj: CliContext,
    study: str,
    assignments: tuple[str, ...],
    when: str | None,
    force: bool,
    fmt: str,
) -> None:
    """List a study's param defaults, or declare NAME=VALUE defaults.

    STUDY is NAME or NAME@VERSION. Defaults apply when reading: every run lacking the param
    (older runs too) counts as having the default, and stored runs are never rewritten.
    Changing an existing default changes what older runs mean, so it needs --force; the
    message says how many runs are affected.

    \b
    Examples:
      hyperlab defaults mnist
      hyperlab defaults mnist dropout=0.0 optim.name=adam
      hyperlab defaults mnist epochs=100 --when "lr < 0.001"
      hyperlab defaults mnist dropout=0.1 --force
    """
    from hyperlab.cli.render import render
    from hyperlab.errors import InvalidValueError
    from hyperlab.tracking.study import Study

    store = obj.store()
    name, _, version = study.partition("@")
    handle = Study(store, store.get_study(name, version or None))
    if assignments:
        parsed = [_assignment(item) for item in assignments]
        for key, value in parsed:
            changed = handle.set_default(key, value, when=when, force=force)
            condition = f" when {when}" if when else ""
            click.echo(
                f"{key} = {json.dumps(value)}{condition}: "
                f"{changed} run(s) of {handle.record.label} now have a different effective value"
            )
        return
    if when is not None or force:
        raise InvalidValueError("--when and --force need NAME=VALUE assignments to declare")
    rows = [
        [d.get("name"), d.get("value"), d.get("when") or ""]
        for d in handle.refresh().record.defaults
    ]
    title = None if rows else f"study {handle.record.label} declares no defaults"
    text = render(["name", "value", "when"], rows, fmt, title=title)
    if text is not None:
        click.echo(text, nl=not text.endswith("\n"))


COMMANDS = [defaults_cmd]
