"""Study-level defaults and identity: ``study.set_default``, ``study.find``.

The rules themselves live in :mod:`hyperlab.space.defaults`; this module reads the study's runs,
evaluates ``when`` conditions with the query language and writes the new defaults list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyperlab.errors import StateError
from hyperlab.querying.effective import matches
from hyperlab.querying.effective import param_condition as parse_condition
from hyperlab.search.history import load_trials
from hyperlab.store import RunState

if TYPE_CHECKING:
    from hyperlab.space.defaults import Default
    from hyperlab.tracking.study import Study

ALL_STATES = tuple(s.value for s in RunState)


def list_defaults(study: Study) -> list[Default]:
    """The study's declared defaults, in order (later entries win)."""
    from hyperlab.space.defaults import parse_defaults

    return parse_defaults(study.refresh().record.defaults)


def set_default(
    study: Study, name: str, value: Any, *, when: str | None = None, force: bool = False
) -> int:
    """Declare ``name = value`` (only ``when`` the condition holds) as a default of the study.

    Adding a default never rewrites stored runs: it applies when reading, so every run lacking
    the param counts as having it. Changing the value of an existing default changes what those
    runs mean, so it needs ``force=True``.

    Args:
        study: The study.
        name: The param name (dotted for nested params).
        value: The default value.
        when: A condition in the query language on params, e.g. ``"lr < 0.001"``.
        force: Allow changing an existing default's value.

    Returns:
        How many runs of the study have different effective params afterwards.

    Raises:
        StateError: when changing an existing default without ``force`` (says how many runs
            would change meaning).
        QueryError: when ``when`` is not a valid condition on params.
    """
    from hyperlab.space.defaults import count_changed, is_change, replace_default

    if when is not None and when.strip():
        parse_condition(when)
    current = list_defaults(study)
    new, previous = replace_default(current, name, value, when=when)
    if previous is not None and not is_change(previous, value):
        return 0
    trials = load_trials(study.store, [study.record], (), states=ALL_STATES)
    changed = count_changed([t.own_params for t in trials], current, new, matches)
    if previous is not None and not force:
        raise StateError(
            f"default {previous} of study {study.record.label!r} already exists; setting it to "
            f"{value!r} changes the meaning of {changed} run(s) that rely on it. Pass "
            "force=True (CLI: --force) to change it"
        )
    study.store.set_study_defaults(study.id, [d.to_dict() for d in new])
    study.refresh()
    return changed
