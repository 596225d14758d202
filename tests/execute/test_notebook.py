"""examples/notebook.ipynb runs top to bottom (with the venv's Python as its kernel)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hyperlab.testing.services import service_missing

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"
KERNEL = "hyperlab-test-venv"


def _install_kernelspec(root: Path) -> Path:
    """A kernelspec that starts this interpreter (the venv), in a private Jupyter data dir."""
    spec_dir = root / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hyperlab test (venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return root


def test_notebook_queues_searches_and_reads_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        import ipykernel  # noqa: F401
        import nbclient
        import nbformat
    except ImportError as err:
        service_missing(f"{err.name} is not installed: pip install -e '.[dev]'")

    data = _install_kernelspec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    # The notebook makes its own temporary directory: put it under tmp_path.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.delenv("HYPERLAB_RUNS_DIR", raising=False)
    before = sorted(p.name for p in NOTEBOOK.parent.iterdir())

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=180,
        startup_timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    outputs = "".join(
        out.get("text", "") + json.dumps(out.get("data", {}))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "grid: queued 6 run(s)" in outputs
    assert "tpe:  queued 10 run(s)" in outputs
    assert "completed 16" in outputs
    # The store and every run directory went to the notebook's own temp dir, not the repo.
    stores = list(scratch.glob("hyperlab-notebook-*/hyperlab.db"))
    assert len(stores) == 1
    assert sorted(p.name for p in NOTEBOOK.parent.iterdir()) == before
