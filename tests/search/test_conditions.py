"""Conditions of conditional defaults agree with Python on params (property tests)."""

from __future__ import annotations

import operator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperlab.querying.effective import matches

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}  # fmt: skip
# No per-example deadline: the CI machine is shared and the first parse is the slowest.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
numbers = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False))


@relaxed
@given(x=numbers, t=numbers, op=st.sampled_from(sorted(OPS)))
def test_comparisons_agree_with_python(x: float, t: float, op: str) -> None:
    assert matches(f"x {op} {t!r}", {"x": x}) == OPS[op](x, t)


@relaxed
@given(x=numbers, lo=numbers, hi=numbers)
def test_and_or_not_combine_like_python(x: float, lo: float, hi: float) -> None:
    params = {"x": x}
    assert matches(f"x > {lo!r} and x < {hi!r}", params) == (lo < x < hi)
    assert matches(f"x <= {lo!r} or x >= {hi!r}", params) == (x <= lo or x >= hi)
    assert matches(f"not (x > {lo!r})", params) == (not x > lo)


@relaxed
@given(value=st.sampled_from(["adam", "sgd", "rmsprop"]))
def test_membership_and_missing_params(value: str) -> None:
    assert matches('opt in ["adam", "sgd"]', {"opt": value}) == (value in ("adam", "sgd"))
    assert matches('opt not in ["adam"]', {"opt": value}) == (value != "adam")
    assert not matches("lr < 0.1", {"opt": value})  # a missing param fails a comparison
    assert matches("params.opt == " + repr(value).replace("'", '"'), {"opt": value})
