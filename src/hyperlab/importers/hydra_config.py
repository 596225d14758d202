"""Reading what Hydra saved in a run's ``.hydra/`` folder: the config and the overrides.

YAML is parsed with PyYAML's C loader (about ten times faster than OmegaConf's loader) taught
OmegaConf's extra float syntax (``1e-3`` is a float, as in Hydra); OmegaConf is loaded only for
``resolve=True``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from hyperlab.importers.hydra_layout import HYDRA_DIR
from hyperlab.importers.hydra_yaml import fast_load

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _HydraLoader(_BaseLoader):  # type: ignore[misc]
    """A safe YAML loader reading floats the way OmegaConf does (``1e-3``, ``.5``)."""


_HydraLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


class ConfigProblemError(Exception):
    """A run's config could not be used (missing, empty, not YAML, not a mapping)."""


@dataclass(frozen=True)
class RunConfig:
    """What a run's ``.hydra/`` folder says.

    Attributes:
        config: The job's config (``config.yaml``), nested.
        overrides: The command-line overrides of the job (``overrides.yaml``).
        config_hash: SHA-256 (first 16 hex digits) of the raw ``config.yaml`` bytes.
        started_at: The modification time of ``config.yaml`` (written when the job started).
    """

    config: dict[str, Any]
    overrides: list[str]
    config_hash: str
    started_at: float


def load_yaml(text: str | bytes) -> Any:
    """Parse YAML text with the fast, safe loader."""
    return yaml.load(text, Loader=_HydraLoader)


def _fast_or_full(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return load_yaml(raw)
    fast = fast_load(text)
    return fast if fast is not None else load_yaml(text)


_PLAIN_OVERRIDE = re.compile(r"^- ([^'\"{}\[\]#&*!|>%@`,\s][^'\"{}\[\]#&*!|>%@`]*)$")


def parse_overrides(text: str) -> list[str]:
    """The list in ``overrides.yaml``; the common plain form is read without a YAML parser."""
    lines = text.splitlines()
    if not lines or text.strip() == "[]":
        return []
    fast: list[str] = []
    for line in lines:
        match = _PLAIN_OVERRIDE.match(line)
        if match is None or ": " in line or line.endswith(":"):
            break
        fast.append(match.group(1).rstrip(" \t"))  # YAML strips only spaces and tabs
    else:
        return fast
    data = load_yaml(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigProblemError(f"overrides.yaml holds a {type(data).__name__}, not a list")
    return [str(item) for item in data]


def read_run_config(run_path: str, *, resolve: bool = False) -> RunConfig:
    """Read ``.hydra/config.yaml`` and ``.hydra/overrides.yaml`` of one run.

    Raises:
        ConfigProblemError: when the config is missing, empty, not valid YAML, not a mapping,
            or (with ``resolve``) has an interpolation that cannot be resolved.
    """
    hydra_dir = os.path.join(run_path, HYDRA_DIR)
    config_path = os.path.join(hydra_dir, "config.yaml")
    try:
        with open(config_path, "rb") as handle:
            raw = handle.read()
            started_at = os.fstat(handle.fileno()).st_mtime
    except FileNotFoundError:
        raise ConfigProblemError("no .hydra/config.yaml") from None
    except OSError as exc:
        raise ConfigProblemError(f"cannot read .hydra/config.yaml: {exc}") from None
    try:
        config = _fast_or_full(raw)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigProblemError(f"corrupt .hydra/config.yaml ({first})") from None
    if config is None:
        raise ConfigProblemError("empty .hydra/config.yaml")
    if not isinstance(config, dict):
        raise ConfigProblemError(
            f".hydra/config.yaml holds a {type(config).__name__}, not a mapping of settings"
        )
    if resolve:
        config = resolve_config(config, hydra_dir)
    overrides: list[str] = []
    try:
        with open(os.path.join(hydra_dir, "overrides.yaml"), encoding="utf-8") as handle:
            overrides = parse_overrides(handle.read())
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigProblemError(f"corrupt .hydra/overrides.yaml ({type(exc).__name__})") from None
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return RunConfig(config, overrides, digest, started_at)


def resolve_config(config: dict[str, Any], hydra_dir: str) -> dict[str, Any]:
    """Resolve ``${...}`` interpolations with OmegaConf.

    ``${hydra:...}`` refers to the run's own ``.hydra/hydra.yaml``; ``${now:...}`` and other
    resolvers registered in this process work as in Hydra.
    """
    try:
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException
    except ImportError as exc:  # pragma: no cover - omegaconf comes with the hydra extra
        raise ConfigProblemError(
            "resolve=True needs omegaconf: pip install 'hyperlab[hydra]'"
        ) from exc
    _register_resolvers(OmegaConf)
    try:
        conf = OmegaConf.create(config)
        if _mentions_hydra(config):
            hydra_yaml = os.path.join(hydra_dir, "hydra.yaml")
            with open(hydra_yaml, "rb") as handle:
                hydra_cfg = load_yaml(handle.read()) or {}
            root = OmegaConf.create({"__hydra__": hydra_cfg.get("hydra", {}), **config})
            resolved = OmegaConf.to_container(root, resolve=True)
            assert isinstance(resolved, dict)
            resolved.pop("__hydra__", None)
            return {str(k): v for k, v in resolved.items()}
        container = OmegaConf.to_container(conf, resolve=True)
    except (OmegaConfBaseException, OSError, yaml.YAMLError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigProblemError(
            f"cannot resolve interpolations in config.yaml ({first})"
        ) from None
    assert isinstance(container, dict)
    return {str(k): v for k, v in container.items()}


def _mentions_hydra(config: Mapping[str, Any]) -> bool:
    return "${hydra:" in repr(config)


def _register_resolvers(omegaconf: Any) -> None:
    """``now`` as in Hydra, and ``hydra`` reading the run's own hydra.yaml (see above)."""
    if not omegaconf.has_resolver("now"):
        from datetime import datetime

        omegaconf.register_new_resolver("now", lambda fmt: datetime.now().strftime(fmt))
    if not omegaconf.has_resolver("hydra"):
        omegaconf.register_new_resolver(
            "hydra",
            lambda path, *, _root_: omegaconf.select(_root_, f"__hydra__.{path}"),
        )
