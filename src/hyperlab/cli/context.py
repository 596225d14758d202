"""What every command shares: the store option, error reporting and output formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from hyperlab.store import Store

FORMATS = ("table", "json", "csv")


@dataclass
class CliContext:
    """Options given before the command name."""

    store_url: str | None = None
    debug: bool = False
    _store: Store | None = field(default=None, repr=False)

    def store(self) -> Store:
        """The store named by ``--store`` (or the default), opened on first use."""
        if self._store is None:
            from hyperlab.store import open_store

            self._store = open_store(self.store_url)
        return self._store


def console(stderr: bool = False) -> Console:
    """A rich console (imported lazily)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def format_option(func: Any) -> Any:
    """The ``--format table|json|csv`` option of listing commands."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(func)


class UserError(click.ClickException):
    """A hyperlab error shown as ``Error: ...`` with exit code 1 (no traceback)."""

    exit_code = 1


class HyperlabGroup(click.Group):
    """A click group that turns hyperlab errors into clean messages.

    ``--debug`` or ``HYPERLAB_DEBUG=1`` shows the full traceback instead.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from hyperlab.errors import HyperlabError

        try:
            return super().invoke(ctx)
        except HyperlabError as err:
            obj = ctx.find_root().obj
            if isinstance(obj, CliContext) and obj.debug:
                raise
            raise UserError(str(err)) from err
