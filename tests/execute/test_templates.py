"""Command templates: values are shell-quoted, unknown placeholders are clear errors."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlab.errors import TemplateError
from hyperlab.execute.templates import placeholders, render_command


def test_values_are_filled_and_formatted() -> None:
    text = render_command(
        "python train.py --lr {lr:.2g} --optim {optim.name}", {"lr": 0.0123, "optim.name": "adam"}
    )
    assert text == "python train.py --lr 0.012 --optim adam"


def test_booleans_and_none_read_as_words() -> None:
    assert render_command("run {a} {b}", {"a": True, "b": None}) == "run true null"


def test_hostile_value_never_runs_in_the_shell(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    hostile = f"x; touch {canary}; $(touch {canary}) `touch {canary}`"
    command = render_command("printf '%s' {name}", {"name": hostile})
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=True)
    assert done.stdout == hostile
    assert not canary.exists()


def test_unknown_placeholder_names_it_and_the_available_keys() -> None:
    with pytest.raises(TemplateError, match=r"\{bs\}.*available keys: lr, optim"):
        render_command("python train.py --bs {bs}", {"lr": 0.1, "optim": "sgd"})


def test_bad_braces_and_empty_placeholders_are_errors() -> None:
    with pytest.raises(TemplateError, match="cannot read"):
        placeholders("python train.py --lr {lr")
    with pytest.raises(TemplateError, match="empty placeholder"):
        placeholders("python train.py {}")


def test_doubled_braces_are_literal() -> None:
    assert render_command("echo ${{HOME}} {x}", {"x": 1}) == "echo ${HOME} 1"


@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=40))
def test_any_value_arrives_as_one_argument(value: str) -> None:
    assert shlex.split(render_command("prog --v {v} end", {"v": value})) == [
        "prog",
        "--v",
        value,
        "end",
    ]


def test_templates_with_shell_syntax_are_run_by_a_shell() -> None:
    from hyperlab.execute.templates import needs_shell

    assert not needs_shell("python train.py --lr {lr} --name {name}")
    for template in [
        "python a.py && python b.py",
        "python t.py > out.txt",
        "echo $HOME {x}",
        "python t.py 'quoted arg' {x}",
        "ls *.py",
    ]:
        assert needs_shell(template), template
