"""Distributions: the random dimensions of a space and of define-by-run sampling.

Each distribution validates its arguments when built (errors state the rule and the bad values),
draws with a caller's :class:`random.Random` (so sampling is reproducible from a seed), tells
whether a value lies in it, round-trips through a JSON dict and converts to an optuna
distribution (imported lazily) for the model-based samplers.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from hyperlab.errors import SpaceError
from hyperlab.space.hashing import value_key


def _real(kind: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpaceError(f"{kind}: {name} must be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise SpaceError(f"{kind}: {name} must be finite, got {value!r}")
    return number


def _integer(kind: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpaceError(f"{kind}: {name} must be an integer, got {value!r}")
    if isinstance(value, float) and not value.is_integer():
        raise SpaceError(f"{kind}: {name} must be an integer, got {value!r}")
    return int(value)


def _is_real(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def format_number(value: float | int) -> str:
    """The shortest text that reads back as the same number (``repr`` for floats)."""
    return repr(value)


class Distribution:
    """A distribution over the values of one parameter.

    Subclasses: :class:`Uniform`, :class:`LogUniform`, :class:`IntUniform`, :class:`Normal`,
    :class:`Categorical`, :class:`Fixed`. Instances are immutable, compare equal by content and
    print as their text form (``loguniform(1e-05,0.1)``), which :func:`hyperlab.parse_space`
    reads back.
    """

    kind: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Distribution]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Distribution._registry[cls.kind] = cls

    # -- interface ------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> Any:
        """Draw one value using ``rng``."""
        raise NotImplementedError

    def validate(self) -> None:
        """Check the arguments; raises :class:`~hyperlab.errors.SpaceError` naming the rule."""
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a value this distribution can produce."""
        raise NotImplementedError

    def args(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able."""
        raise NotImplementedError

    @property
    def size(self) -> int | None:
        """The number of distinct values, or None when infinite (continuous)."""
        return None

    def to_optuna(self) -> Any:
        """The equivalent ``optuna.distributions`` object (optuna is imported here)."""
        raise NotImplementedError

    def optuna_value(self, value: Any) -> Any:
        """``value`` as optuna stores it in :meth:`to_optuna` (to tell optuna past runs)."""
        return value

    def from_optuna_value(self, value: Any) -> Any:
        """A value suggested by optuna for :meth:`to_optuna`, back in this distribution's terms."""
        return value

    # -- serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict ``{"type": kind, **args}``; :meth:`from_dict` reads it back."""
        return {"type": self.kind, **self.args()}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Distribution:
        """The distribution described by a :meth:`to_dict` result.

        Raises:
            SpaceError: when the type is unknown or the arguments are not valid.
        """
        if not isinstance(d, dict) or "type" not in d:
            raise SpaceError(f"a distribution dict needs a 'type' key, got {d!r}")
        cls = Distribution._registry.get(d["type"])
        if cls is None:
            valid = ", ".join(sorted(Distribution._registry))
            raise SpaceError(f"unknown distribution type {d['type']!r}; valid: {valid}")
        args = {k: v for k, v in d.items() if k != "type"}
        try:
            return cls(**args)
        except TypeError as err:
            raise SpaceError(f"bad arguments for {d['type']}: {args!r} ({err})") from None

    # -- text form --------------------------------------------------------------------------
    def text_args(self) -> list[str]:
        """The arguments as they appear in the text form."""
        return [format_number(v) for v in self.args().values()]

    def __str__(self) -> str:
        return f"{self.kind}({','.join(self.text_args())})"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distribution):
            return NotImplemented
        return value_key(self.to_dict()) == value_key(other.to_dict())

    def __hash__(self) -> int:
        return hash(value_key(self.to_dict()))


class Uniform(Distribution):
    """Real values uniform in ``[lo, hi]``.

    Args:
        lo: Lower bound (finite).
        hi: Upper bound (finite, ``>= lo``).
    """

    kind = "uniform"

    def __init__(self, lo: float, hi: float) -> None:
        self.lo = _real(self.kind, "lo", lo)
        self.hi = _real(self.kind, "hi", hi)
        self.validate()

    def validate(self) -> None:
        """Check ``lo <= hi``."""
        if self.lo > self.hi:
            raise SpaceError(f"{self.kind} needs lo <= hi, got lo={self.lo!r} hi={self.hi!r}")

    def sample(self, rng: random.Random) -> float:
        """A float in ``[lo, hi]``."""
        return min(max(rng.uniform(self.lo, self.hi), self.lo), self.hi)

    def contains(self, value: Any) -> bool:
        """A real number within the bounds."""
        return _is_real(value) and self.lo <= float(value) <= self.hi

    def args(self) -> dict[str, Any]:
        """``{"lo": ..., "hi": ...}``."""
        return {"lo": self.lo, "hi": self.hi}

    def to_optuna(self) -> Any:
        """``FloatDistribution(lo, hi)``."""
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.lo, self.hi)


class LogUniform(Uniform):
    """Real values whose logarithm is uniform: ``log(x) ~ U(log lo, log hi)``.

    Args:
        lo: Lower bound (``> 0``).
        hi: Upper bound (``>= lo``).
    """

    kind = "loguniform"

    def validate(self) -> None:
        """Check ``0 < lo <= hi``."""
        if self.lo <= 0:
            raise SpaceError(f"{self.kind} needs lo > 0, got lo={self.lo!r}")
        super().validate()

    def sample(self, rng: random.Random) -> float:
        """A float in ``[lo, hi]``, uniform on a log scale."""
        value = math.exp(rng.uniform(math.log(self.lo), math.log(self.hi)))
        return min(max(value, self.lo), self.hi)

    def to_optuna(self) -> Any:
        """``FloatDistribution(lo, hi, log=True)``."""
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.lo, self.hi, log=True)


class IntUniform(Distribution):
    """Integers uniform in ``[lo, hi]``, both bounds included.

    Args:
        lo: Lower bound (an integer).
        hi: Upper bound (an integer ``>= lo``).
        log: Draw uniformly on a log scale (needs ``lo >= 1``).
    """

    kind = "intuniform"

    def __init__(self, lo: int, hi: int, log: bool = False) -> None:
        self.lo = _integer(self.kind, "lo", lo)
        self.hi = _integer(self.kind, "hi", hi)
        if not isinstance(log, bool):
            raise SpaceError(f"{self.kind}: log must be true or false, got {log!r}")
        self.log = log
        self.validate()

    def validate(self) -> None:
        """Check ``lo <= hi`` (and ``lo >= 1`` on a log scale)."""
        if self.lo > self.hi:
            raise SpaceError(f"{self.kind} needs lo <= hi, got lo={self.lo!r} hi={self.hi!r}")
        if self.log and self.lo < 1:
            raise SpaceError(f"{self.kind} with log=true needs lo >= 1, got lo={self.lo!r}")

    @property
    def size(self) -> int:
        """``hi - lo + 1``."""
        return self.hi - self.lo + 1

    def sample(self, rng: random.Random) -> int:
        """An int in ``[lo, hi]``."""
        if not self.log:
            return rng.randint(self.lo, self.hi)
        value = math.exp(rng.uniform(math.log(self.lo), math.log(self.hi + 1)))
        return min(max(math.floor(value), self.lo), self.hi)

    def contains(self, value: Any) -> bool:
        """An integral number within the bounds (``3.0`` counts as 3)."""
        return _is_real(value) and float(value).is_integer() and self.lo <= value <= self.hi

    def args(self) -> dict[str, Any]:
        """``{"lo": ..., "hi": ...}`` plus ``"log": true`` on a log scale."""
        return {"lo": self.lo, "hi": self.hi, **({"log": True} if self.log else {})}

    def text_args(self) -> list[str]:
        """``lo,hi`` (and ``log=true``)."""
        return [str(self.lo), str(self.hi), *(["log=true"] if self.log else [])]

    def to_optuna(self) -> Any:
        """``IntDistribution(lo, hi, log=log)``."""
        from optuna.distributions import IntDistribution

        return IntDistribution(self.lo, self.hi, log=self.log)

    def from_optuna_value(self, value: Any) -> int:
        """The suggested value as an int."""
        return int(value)


class Normal(Distribution):
    """Real values from a normal (Gaussian) distribution.

    Args:
        mu: Mean.
        sigma: Standard deviation (``> 0``).
    """

    kind = "normal"
    OPTUNA_SIGMAS: ClassVar[float] = 4.0
    """optuna has no normal distribution: :meth:`to_optuna` gives ``mu ± 4 sigma`` uniform."""

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = _real(self.kind, "mu", mu)
        self.sigma = _real(self.kind, "sigma", sigma)
        self.validate()

    def validate(self) -> None:
        """Check ``sigma > 0``."""
        if self.sigma <= 0:
            raise SpaceError(f"{self.kind} needs sigma > 0, got sigma={self.sigma!r}")

    def sample(self, rng: random.Random) -> float:
        """A float drawn from N(mu, sigma²)."""
        return rng.gauss(self.mu, self.sigma)

    def contains(self, value: Any) -> bool:
        """Any finite real number."""
        return _is_real(value)

    def args(self) -> dict[str, Any]:
        """``{"mu": ..., "sigma": ...}``."""
        return {"mu": self.mu, "sigma": self.sigma}

    def to_optuna(self) -> Any:
        """``FloatDistribution(mu - 4 sigma, mu + 4 sigma)`` (optuna has no normal)."""
        from optuna.distributions import FloatDistribution

        half = self.OPTUNA_SIGMAS * self.sigma
        return FloatDistribution(self.mu - half, self.mu + half)


_OPTUNA_SCALARS = (type(None), bool, int, float, str)


class Categorical(Distribution):
    """One of a list of choices, equally likely or by (unnormalised) weights.

    Args:
        choices: The distinct values (any JSON-able values, lists and dicts included).
        weights: One non-negative weight per choice, not all zero; None means equal weights.
    """

    kind = "categorical"

    def __init__(self, choices: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise SpaceError(f"{self.kind}: choices must be a list, got {choices!r}")
        self.choices: tuple[Any, ...] = tuple(choices)
        self.weights: tuple[float, ...] | None = None
        if weights is not None:
            if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
                raise SpaceError(f"{self.kind}: weights must be a list, got {weights!r}")
            self.weights = tuple(_real(self.kind, "each weight", w) for w in weights)
        self._keys = [value_key(c) for c in self.choices]
        self.validate()

    def validate(self) -> None:
        """Check: at least one choice, no duplicates, weights matching, >= 0, not all 0."""
        if not self.choices:
            raise SpaceError(f"{self.kind} needs at least one choice, got []")
        if len(set(self._keys)) != len(self._keys):
            dupes = sorted({k for k in self._keys if self._keys.count(k) > 1})
            raise SpaceError(f"{self.kind} choices must be distinct; repeated: {', '.join(dupes)}")
        if self.weights is None:
            return
        if len(self.weights) != len(self.choices):
            raise SpaceError(
                f"{self.kind} needs one weight per choice: {len(self.choices)} choices, "
                f"{len(self.weights)} weights {list(self.weights)!r}"
            )
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise SpaceError(
                f"{self.kind} weights must be >= 0 and not all 0, got {list(self.weights)!r}"
            )

    @property
    def size(self) -> int:
        """The number of choices."""
        return len(self.choices)

    def sample(self, rng: random.Random) -> Any:
        """One choice (a copy, so callers may change it)."""
        if self.weights is None:
            index = rng.randrange(len(self.choices))
        else:
            index = rng.choices(range(len(self.choices)), weights=self.weights)[0]
        return copy.deepcopy(self.choices[index])

    def index(self, value: Any) -> int:
        """The position of ``value`` among the choices (-1 when absent)."""
        try:
            key = value_key(value)
        except ValueError:
            return -1
        return self._keys.index(key) if key in self._keys else -1

    def contains(self, value: Any) -> bool:
        """Whether ``value`` equals one of the choices."""
        return self.index(value) >= 0

    def args(self) -> dict[str, Any]:
        """``{"choices": [...]}`` plus ``"weights"`` when given."""
        out: dict[str, Any] = {"choices": list(self.choices)}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        return out

    def text_args(self) -> list[str]:
        """The choices, then ``weights=[...]`` when given."""
        from hyperlab.space.text import format_value

        parts = [format_value(c) for c in self.choices]
        if self.weights is not None:
            parts.append("weights=" + format_value(list(self.weights)))
        return parts

    def __str__(self) -> str:
        return f"choice({','.join(self.text_args())})"

    __repr__ = __str__

    def _plain(self) -> bool:
        return all(isinstance(c, _OPTUNA_SCALARS) for c in self.choices)

    def to_optuna(self) -> Any:
        """``CategoricalDistribution(choices)``; weights are not passed (optuna has none).

        Choices that optuna cannot hold (lists, dicts) are given as their canonical JSON text;
        :meth:`from_optuna_value` turns a suggestion back into the choice.
        """
        from optuna.distributions import CategoricalDistribution

        choices = self.choices if self._plain() else tuple(self._keys)
        return CategoricalDistribution(choices)

    def optuna_value(self, value: Any) -> Any:
        """The choice as held by :meth:`to_optuna`."""
        return value if self._plain() else value_key(value)

    def from_optuna_value(self, value: Any) -> Any:
        """The choice for a value suggested by optuna."""
        if self._plain():
            return value
        return copy.deepcopy(self.choices[self._keys.index(value)])


class Fixed(Distribution):
    """Always the same value.

    Args:
        value: Any JSON-able value.
    """

    kind = "fixed"

    def __init__(self, value: Any) -> None:
        self.value = value
        self._key = value_key(value)

    def validate(self) -> None:
        """Any JSON-able value is valid (checked when built)."""

    @property
    def size(self) -> int:
        """1."""
        return 1

    def sample(self, rng: random.Random) -> Any:
        """The value (a copy)."""
        return copy.deepcopy(self.value)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` equals the fixed value."""
        try:
            return value_key(value) == self._key
        except ValueError:
            return False

    def args(self) -> dict[str, Any]:
        """``{"value": ...}``."""
        return {"value": self.value}

    def text_args(self) -> list[str]:
        """The value in the text form."""
        from hyperlab.space.text import format_value

        return [format_value(self.value)]

    def to_optuna(self) -> Any:
        """A one-choice ``CategoricalDistribution``."""
        from optuna.distributions import CategoricalDistribution

        plain = isinstance(self.value, _OPTUNA_SCALARS)
        return CategoricalDistribution((self.value if plain else self._key,))

    def optuna_value(self, value: Any) -> Any:
        """The value as held by :meth:`to_optuna`."""
        return value if isinstance(self.value, _OPTUNA_SCALARS) else value_key(value)

    def from_optuna_value(self, value: Any) -> Any:
        """The fixed value."""
        return copy.deepcopy(self.value)
