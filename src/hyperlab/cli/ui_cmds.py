"""``hyperlab ui``: serve the web dashboard."""

from __future__ import annotations

import click

from hyperlab.cli.context import CliContext


@click.command("ui")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback requires a token.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--token",
    envvar="HYPERLAB_UI_TOKEN",
    help="Access token (default: generated and printed when --host is not loopback). "
    "Env: HYPERLAB_UI_TOKEN.",
)
@click.pass_obj
def ui_cmd(obj: CliContext, host: str, port: int, token: str | None) -> None:
    """Serve the dashboard: studies, runs with the query box, curves, run and study pages, queue.

    \b
    Examples:
      hyperlab ui                         # http://127.0.0.1:8765/
      hyperlab ui --host 0.0.0.0          # prints a URL with a token; share it carefully
    """
    import uvicorn

    from hyperlab.web.app import create_app
    from hyperlab.web.security import LOOPBACK_HOSTS, is_loopback, new_token

    store = obj.store()
    local = is_loopback(host)
    if not local and not token:
        token = new_token()
    app = create_app(store, token, allowed_hosts=list(LOOPBACK_HOSTS) if local else None)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(f"hyperlab dashboard for {store.safe_url}")
    click.echo(f"open {url}   (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="none", lifespan="off")


COMMANDS = [ui_cmd]
