"""``python -m hyperlab`` runs the command-line interface."""

from __future__ import annotations

from hyperlab.cli.main import main

if __name__ == "__main__":
    main()
