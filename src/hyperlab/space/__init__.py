"""Parameter spaces: ranges with an algebra, distributions, content hashes and a text form.

Pure Python: no I/O, no database. See ``docs/spaces.md``.
"""

from __future__ import annotations

from hyperlab.space.distributions import (
    Categorical,
    Distribution,
    Fixed,
    IntUniform,
    LogUniform,
    Normal,
    Uniform,
)
from hyperlab.space.hashing import params_hash
from hyperlab.space.paramspace import ParamSpace
from hyperlab.space.text import parse_space

__all__ = [
    "Categorical",
    "Distribution",
    "Fixed",
    "IntUniform",
    "LogUniform",
    "Normal",
    "ParamSpace",
    "Uniform",
    "params_hash",
    "parse_space",
]
