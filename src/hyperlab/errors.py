"""The whole hyperlab exception tree.

Every error hyperlab raises on purpose derives from :class:`HyperlabError`, so callers can catch
one class. Messages follow one rule: say what failed, show the offending value, and say what is
valid or how to fix it.

::

    HyperlabError
    ├── ConfigError              bad setting, URL or environment variable
    ├── StoreError               the database could not be used
    │   ├── SchemaOutdatedError  the schema is older than this hyperlab ("run hyperlab db upgrade")
    │   └── IntegrityError       a write would break a uniqueness rule
    ├── NotFoundError            unknown study, run or key
    │   ├── StudyNotFoundError
    │   └── RunNotFoundError
    ├── InvalidValueError        a value of the wrong type or range (also a ValueError)
    ├── QueryError               the query text is not valid (also a ValueError)
    │   └── QuerySyntaxError     with the text and a caret under the bad column
    ├── SpaceError               a parameter space or distribution is not valid (also a ValueError)
    ├── StateError               an operation is not allowed in the run's current state
    ├── TrialPruned              raised in a run to end it in state ``pruned`` (not a failure)
    ├── CheckpointError          a checkpoint is missing or corrupted (resume / fork)
    ├── ExecutionError           a command, worker or launcher failed
    │   ├── LauncherError
    │   └── TemplateError        a command template names an unknown placeholder
    └── ImportError_             an external folder could not be imported (hydra, ...)
"""

from __future__ import annotations


class HyperlabError(Exception):
    """Root of every error hyperlab raises on purpose."""


class ConfigError(HyperlabError):
    """A setting, URL or environment variable has a value hyperlab cannot use."""


class StoreError(HyperlabError):
    """The store (database) could not be opened, read or written."""


class SchemaOutdatedError(StoreError):
    """The database schema is older (or newer) than this version of hyperlab expects."""


class IntegrityError(StoreError):
    """A write would break a uniqueness or reference rule of the store."""


class NotFoundError(HyperlabError, LookupError):
    """A study, run or key that was asked for does not exist."""


class StudyNotFoundError(NotFoundError):
    """No study has the given name (and version)."""


class RunNotFoundError(NotFoundError):
    """No run matches the given reference."""


class InvalidValueError(HyperlabError, ValueError):
    """A value has the wrong type or lies outside its valid range."""


class QueryError(HyperlabError, ValueError):
    """A query expression is not valid (unknown name, ambiguous name, bad type)."""


class QuerySyntaxError(QueryError):
    """A query expression could not be parsed.

    Attributes:
        text: The full query text.
        column: Zero-based column of the offending character.
    """

    def __init__(self, message: str, text: str, column: int) -> None:
        self.text = text
        self.column = column
        self.reason = message
        caret = " " * column + "^"
        super().__init__(f"{message} at column {column + 1}\n  {text}\n  {caret}")


class SpaceError(HyperlabError, ValueError):
    """A parameter space, range or distribution is not valid."""


class StateError(HyperlabError):
    """An operation is not allowed in the current state of a run, queue or study."""


class CheckpointError(HyperlabError):
    """A checkpoint needed to resume or fork a run is missing or corrupted."""


class TrialPruned(HyperlabError):  # noqa: N818 - the name users know from optuna
    """Raise inside a run (``raise hl.TrialPruned()``) to end it in state ``pruned``.

    A run's ``with`` block ends quietly on it: the run is marked ``pruned`` and the search (if
    any) goes on with its next trial.
    """


class ExecutionError(HyperlabError):
    """A command, worker or launcher failed."""


class LauncherError(ExecutionError):
    """A job launcher (local, slurm, torque) could not submit, poll or cancel a job."""


class TemplateError(ExecutionError, ValueError):
    """A command template cannot be filled: unknown placeholder or bad format."""


class ImportError_(HyperlabError):  # noqa: N801, N818 - avoid shadowing the builtin ImportError
    """An external folder (Hydra output, ...) could not be imported."""
