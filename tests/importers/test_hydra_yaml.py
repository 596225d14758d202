"""The fast config reader gives exactly what the YAML loader gives, or steps aside."""

from __future__ import annotations

import math
from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hyperlab.importers.hydra_config import load_yaml, parse_overrides
from hyperlab.importers.hydra_yaml import fast_load

keys = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
    st.sampled_from(["on", "yes", "null", "1", "a b", "<<", "x.y", "lr"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, width=64),
    st.text(max_size=12),
    st.sampled_from(
        [
            *["yes", "off", "~", "1e-3", "0.5", "007", "1:30", "2024-01-02", "${a.b}", "a: b"],
            *[
                "09",
                ".5e3",
                "1.5e3",
                "010",
                "1_000",
                "0x1F",
                "+1",
                "-.5",
                "1.",
                "-1e5",
                "???",
                "#x",
            ],
        ]
    ),
)
values = st.recursive(
    st.one_of(scalars, st.lists(scalars, max_size=4)),
    lambda inner: st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
configs = st.dictionaries(keys, values, max_size=6)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(configs, st.booleans())
def test_fast_reader_agrees_with_yaml(config: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=flow, allow_unicode=True)
    fast = fast_load(text)
    if fast is not None:
        assert _same(fast, load_yaml(text)), text


def test_fast_reader_takes_hydra_style_configs() -> None:
    text = (
        "seed: 1\nname: demo\nlayers:\n- 4\n- 8\nempty: {}\nnone: []\noptim:\n  name: adam\n"
        "  lr: 0.001\n  betas:\n  - 0.9\n  - 0.999\nquoted: '1'\nmissing: ???\nout: ${name}_x\n"
        "flag: true\nnothing: null\n"
    )
    fast = fast_load(text)
    assert fast is not None
    assert _same(fast, load_yaml(text))


def test_ambiguous_scalars_fall_back_to_yaml() -> None:
    for text in ["day: 2024-01-02\n", "t: 1:30\n", "o: 010\n", 'q: "x"\n', "a: b # c\n"]:
        assert fast_load(text) is None, text


def test_omegaconf_floats_are_floats() -> None:
    assert load_yaml("lr: 1e-3\nn: 1e5\n") == {"lr": 0.001, "n": 100000.0}


overrides = st.lists(
    st.one_of(
        st.from_regex(r"[a-z_.+~]{1,8}=[A-Za-z0-9_.\-,]{0,8}", fullmatch=True),
        st.text(min_size=1, max_size=10),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(overrides)
@example(["0\xa0"])  # a trailing no-break space is part of the value for YAML
def test_overrides_reader_agrees_with_yaml(items: list[str]) -> None:
    text = yaml.safe_dump(items, default_flow_style=False, allow_unicode=True)
    expected = yaml.safe_load(text) or []
    assert parse_overrides(text) == [str(x) for x in expected]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.sampled_from(["09", ".5e3", "1.5e3", "010", "1_000", "0x1F", "+1", "-.5", "1."]),
        st.from_regex(r"[-+]?[0-9]{0,3}[.]?[0-9]{0,3}([eE][-+]?[0-9]{1,2})?", fullmatch=True),
        st.from_regex(r"[A-Za-z$?~.@ ][^\n\r]{0,10}", fullmatch=True),
    )
)
def test_unquoted_scalars_agree_with_yaml(token: str) -> None:
    text = f"key: {token}\nlist:\n- {token}\n"
    try:
        expected = load_yaml(text)
    except yaml.YAMLError:
        assert fast_load(text) is None
        return
    fast = fast_load(text)
    if fast is not None:
        assert _same(fast, expected), text
