"""Filling templates: values are quoted, names are checked, errors say what is valid."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlab.errors import InvalidValueError
from hyperlab.execute.launchers.quoting import (
    check_job_name,
    fill_template,
    normalise_newlines,
    template_fields,
)
from hyperlab.execute.launchers.submit import read_template, render_job

TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(value=TEXT)
def test_any_text_value_is_one_shell_word(value: str) -> None:
    filled = fill_template("prog --x {x} --y {y}", {"x": value, "y": 1})
    assert shlex.split(filled) == ["prog", "--x", value, "--y", "1"]


@given(value=st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_numbers_render_like_python(value: object) -> None:
    assert fill_template("{v}", {"v": value}) == shlex.quote(str(value))


def test_hostile_value_does_not_run_in_bash(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    payloads = [
        f"x; touch {canary}",
        f"$(touch {canary})",
        f"`touch {canary}`",
        f"' ; touch {canary}; '",
        f'" ; touch {canary}; "',
        f"a\ntouch {canary}",
    ]
    for payload in payloads:
        script = fill_template("printf '%s' {v}", {"v": payload})
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
        )
        assert done.stdout == payload
    assert not canary.exists()


def test_format_spec_applies_before_quoting() -> None:
    assert fill_template("--lr {lr:.2e}", {"lr": 0.000123}) == "--lr 1.23e-04"
    assert fill_template("{name!r}", {"name": "a"}) == shlex.quote("'a'")


def test_dotted_names_are_looked_up_whole_not_as_attributes() -> None:
    assert fill_template("{optim.lr}", {"optim.lr": 0.1}) == "0.1"
    with pytest.raises(InvalidValueError, match=r"\{optim.lr\} is not a param; valid: lr"):
        fill_template("{optim.lr}", {"lr": 0.1})


def test_unknown_field_lists_valid_names_and_braces_escape() -> None:
    with pytest.raises(InvalidValueError, match="valid: a, b"):
        fill_template("{c}", {"a": 1, "b": 2})
    assert fill_template("echo ${{HOME}} {a}", {"a": 1}) == "echo ${HOME} 1"
    with pytest.raises(InvalidValueError, match="positional"):
        fill_template("{}", {"a": 1})


def test_template_fields_in_order() -> None:
    assert template_fields("{b} {a} {b:.2f} {{x}}") == ["b", "a"]


@pytest.mark.parametrize("name", ["job_1", "a.b-c", "X9"])
def test_valid_job_names(name: str) -> None:
    assert check_job_name(name) == name


@pytest.mark.parametrize("name", ["a b", "a/b", "a;b", "", "..", "é"])
def test_invalid_job_names_say_what_is_allowed(name: str) -> None:
    with pytest.raises(InvalidValueError, match=r"letters, digits|must name a directory"):
        check_job_name(name)


def test_windows_line_ends_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "job.sh"
    path.write_bytes(b"#!/bin/bash\r\necho {a}\r\n")
    assert read_template(path) == "#!/bin/bash\necho {a}\n"
    assert read_template(str(path)) == "#!/bin/bash\necho {a}\n"
    assert normalise_newlines("a\rb\r\nc") == "a\nb\nc"


def test_render_job_fills_name_raw_and_script_quoted() -> None:
    name, script = render_job("echo {msg} {job_name}", "run_{n}", {"n": 3, "msg": "hi there"})
    assert name == "run_3"
    assert script == "#!/bin/bash\necho 'hi there' run_3\n"
    with pytest.raises(InvalidValueError, match="not valid"):
        render_job("echo", "run_{msg}", {"msg": "hi there"})


def test_hash_is_stable_and_usable_in_names() -> None:
    first, _ = render_job("echo {hash}", "j_{hash}", {"a": 1, "b": "x"})
    again, _ = render_job("echo", "j_{hash}", {"b": "x", "a": 1})
    assert first == again
    assert len(first) > 10
