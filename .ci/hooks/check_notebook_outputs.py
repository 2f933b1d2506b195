"""Pre-commit hook: notebooks in the repository carry no outputs and no execution counts.

The chapters' sources are MyST Markdown; the only notebooks kept in git are the generated
Colab notebooks (``colab/``), which a reader opens to run, so a stored output would be stale
or would leak a path of the machine that made it. Usage:
``python .ci/hooks/check_notebook_outputs.py FILE.ipynb ...``; exits 1 naming each cell.
"""

from __future__ import annotations

import json
import sys


def cells_with_outputs(path: str) -> list[int]:
    """List the code cells of notebook ``path`` that hold outputs or an execution count.

    Examples
    --------
    >>> import json, tempfile
    >>> notebook = {"cells": [{"cell_type": "code", "outputs": [], "execution_count": None},
    ...                       {"cell_type": "code", "outputs": [{"x": 1}]}]}
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as f:
    ...     json.dump(notebook, f)
    >>> cells_with_outputs(f.name)
    [1]
    """
    with open(path, encoding="utf-8") as handle:
        notebook = json.load(handle)
    return [
        number
        for number, cell in enumerate(notebook.get("cells", []))
        if cell.get("cell_type") == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the hook: 0 when no notebook holds outputs, else 1."""
    paths = sys.argv[1:] if argv is None else argv
    failed = False
    for path in paths:
        cells = cells_with_outputs(path)
        if cells:
            failed = True
            print(f"{path}: code cells {cells} hold outputs; clear them (make colab rewrites it)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
