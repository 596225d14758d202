"""params_hash: a stable content hash that names jobs and identifies configurations."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import InvalidValueError

from .strategies import KEYS, SLOW_OK, values

EXAMPLE = {"lr": 0.1, "optim": {"name": "adam"}, "layers": [64, 64], "flag": True}
EXAMPLE_HASH = "e97278ba5e2bd67199baeb1746252579"


def test_the_hash_is_pinned_so_it_never_changes_between_versions() -> None:
    assert hl.params_hash(EXAMPLE) == EXAMPLE_HASH


@pytest.mark.parametrize("hash_seed", ["0", "12345"])
def test_the_hash_is_identical_in_other_processes(hash_seed: str) -> None:
    code = "import json, sys, hyperlab as hl; print(hl.params_hash(json.loads(sys.stdin.read())))"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(EXAMPLE),
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    assert out.stdout.strip() == EXAMPLE_HASH


def test_nested_and_dotted_params_hash_the_same_and_key_order_does_not_matter() -> None:
    assert hl.params_hash({"optim": {"lr": 0.1, "name": "sgd"}}) == hl.params_hash(
        {"optim.name": "sgd", "optim.lr": 0.1}
    )


def test_numbers_within_the_tolerance_are_the_same_configuration() -> None:
    assert hl.params_hash({"lr": 0.1 + 0.2}) == hl.params_hash({"lr": 0.3})
    assert hl.params_hash({"epochs": 10}) == hl.params_hash({"epochs": 10.0})
    assert hl.params_hash({"lr": 0.3}) != hl.params_hash({"lr": 0.31})
    assert hl.params_hash({"flag": True}) != hl.params_hash({"flag": 1})
    assert hl.params_hash({"a": (1, 2)}) == hl.params_hash({"a": [1, 2]})


def test_numpy_values_hash_like_python_values() -> None:
    np = pytest.importorskip("numpy")
    assert hl.params_hash({"lr": np.float32(0.5), "n": np.int64(3), "v": np.array([1, 2])}) == (
        hl.params_hash({"lr": 0.5, "n": 3, "v": [1, 2]})
    )


def test_unrepresentable_values_are_a_clear_error() -> None:
    with pytest.raises(InvalidValueError, match="cannot hash a param value of type object"):
        hl.params_hash({"x": object()})


@settings(SLOW_OK, max_examples=200)
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=4))
def test_hash_is_a_function_of_content(params: dict[str, object]) -> None:
    digest = hl.params_hash(params)
    assert len(digest) == 32
    assert int(digest, 16) >= 0
    assert hl.params_hash(dict(reversed(list(params.items())))) == digest
    assert hl.params_hash(json.loads(json.dumps(params))) == digest
