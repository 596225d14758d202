"""Track Hydra apps: every job of a run or multirun becomes a hyperlab run.

Add the callback to the app's config (or on the command line)::

    # config.yaml
    hydra:
      callbacks:
        hyperlab:
          _target_: hyperlab.integrations.hydra.HyperlabCallback
          study: mnist
          # version: "2"      store: sqlite:////path/to/hyperlab.db

Inside the task, ``hl.current_run()`` is the job's run: its params are the job's config
(resolved), its tags the job's overrides, its ``run.dir`` Hydra's output folder. A job that
raises is recorded as failed with its traceback.

Or decorate the task function under ``@hydra.main`` with :func:`track` instead of configuring a
callback.
"""

from __future__ import annotations

import copy
import functools
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run

try:  # Hydra is optional: the callback base class exists only when it is installed.
    from hydra.experimental.callback import Callback as _HydraCallback
except ImportError:  # pragma: no cover - hydra-core comes with the hydra extra
    _HydraCallback = object  # type: ignore[misc,assignment]

_T = TypeVar("_T")


def _job_params(config: Any) -> dict[str, Any]:
    """The job's config without the ``hydra`` node, resolved when possible."""
    from omegaconf import OmegaConf, open_dict, read_write
    from omegaconf.errors import OmegaConfBaseException

    task_cfg = copy.deepcopy(config)
    if "hydra" in task_cfg:
        with read_write(task_cfg), open_dict(task_cfg):
            del task_cfg["hydra"]
    try:
        container = OmegaConf.to_container(task_cfg, resolve=True)
    except OmegaConfBaseException:
        container = OmegaConf.to_container(task_cfg, resolve=False)
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}


def _job_facts() -> tuple[str | None, list[str], str | None]:
    """(output dir, overrides, job name) of the job Hydra is running."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None, [], None
    cfg = HydraConfig.get()
    output_dir = cfg.runtime.output_dir
    overrides = [str(o) for o in cfg.overrides.task]
    return (str(output_dir) if output_dir else None), overrides, str(cfg.job.name)


def start_job_run(
    config: Any,
    *,
    study: str,
    version: str | None = None,
    store: str | None = None,
    tags: Iterable[str] = (),
) -> Run:
    """Start a hyperlab run for the Hydra job now running (used by the callback and
    :func:`track`)."""
    from hyperlab.tracking.study import study as get_study

    output_dir, overrides, job_name = _job_facts()
    target = get_study(study, version=version, store=store)
    job_tags = [*tags, *(o for o in overrides if o.strip() and len(o) <= 255)]
    return target.start_run(
        _job_params(config),
        tags=job_tags,
        name=job_name,
        run_dir=Path(output_dir) if output_dir else None,
    )


class HyperlabCallback(_HydraCallback):
    """A Hydra callback recording each job as a hyperlab run.

    Args:
        study: The study name.
        version: The study version.
        store: A store URL or SQLite path (default: ``HYPERLAB_STORE``, else the nearest
            ``.hyperlab/``, resolved where Hydra starts, before any change of directory).
        tags: Extra tags for every run (the job's overrides are always added).
    """

    def __init__(
        self,
        study: str,
        version: str | None = None,
        store: str | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        from hyperlab.store import resolve_url

        self.study = study
        self.version = None if version is None else str(version)
        self.store_url = resolve_url(None if store is None else str(store))
        self.tags = [str(t) for t in tags]
        self._runs: list[Run] = []

    def on_job_start(self, config: Any, **kwargs: Any) -> None:
        """Start the job's run (Hydra calls this in the job's process, after chdir)."""
        run = start_job_run(
            config,
            study=self.study,
            version=self.version,
            store=self.store_url,
            tags=self.tags,
        )
        self._runs.append(run)

    def on_job_end(self, config: Any, job_return: Any, **kwargs: Any) -> None:
        """Record the job's final state: completed, or failed with the traceback."""
        from hydra.core.utils import JobStatus

        if not self._runs:
            return
        run = self._runs.pop()
        if job_return.status == JobStatus.COMPLETED:
            run.finish("completed", wait=True)
            return
        # JobReturn.return_value re-raises the job's exception (and prints to stderr); read the
        # stored exception instead.
        error = getattr(job_return, "_return_value", None)
        text = (
            "".join(traceback.format_exception(type(error), error, error.__traceback__))
            if isinstance(error, BaseException)
            else f"job ended with status {job_return.status}"
        )
        run.finish("failed", error=text, wait=True)


def track(
    study: str,
    *,
    version: str | None = None,
    store: str | None = None,
    tags: Iterable[str] = (),
) -> Callable[[Callable[[Any], _T]], Callable[[Any], _T]]:
    """Decorate a Hydra task (under ``@hydra.main``) so each job is a hyperlab run.

    ::

        @hydra.main(version_base=None, config_path=".", config_name="config")
        @track("mnist")
        def main(cfg):
            hl.current_run().log(loss=...)

    Args:
        study: The study name.
        version: The study version.
        store: A store URL or SQLite path (default store when None).
        tags: Extra tags for every run.
    """
    from hyperlab.store import resolve_url

    url = resolve_url(store)

    def decorate(task: Callable[[Any], _T]) -> Callable[[Any], _T]:
        @functools.wraps(task)
        def wrapper(cfg: Any) -> _T:
            run = start_job_run(cfg, study=study, version=version, store=url, tags=tags)
            with run:
                result = task(cfg)
            run.flush()
            return result

        return wrapper

    return decorate
