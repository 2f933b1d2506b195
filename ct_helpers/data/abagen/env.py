"""The isolated Python environment in which abagen runs (``.venv-ahba``).

abagen 0.1.3 needs ``numpy<2`` and ``pandas<2``, the book ``pandas>=2``, so
abagen gets a virtual environment of its own with the pins in
``requirements.txt`` beside this module (``make ahba-env`` creates it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The requirements file of the isolated abagen environment (also read by the Makefile).
ABAGEN_REQUIREMENTS_FILE = Path(__file__).with_name("requirements.txt")
#: What that environment installs: abagen 0.1.3 with the numpy/pandas it works with.
ABAGEN_REQUIREMENTS = tuple(
    line.strip()
    for line in ABAGEN_REQUIREMENTS_FILE.read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
#: Environment variable naming the Python of the abagen environment.
ABAGEN_PYTHON_ENV = "CT_AHBA_PYTHON"
#: Folder names searched for the abagen environment when the variable is unset.
ABAGEN_VENV_NAMES = (".venv-ahba",)

#: The repository that holds this package, when it is installed from a clone.
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]


def find_abagen_python(python: str | os.PathLike | None = None) -> Path:
    """Locate the Python of the isolated abagen environment.

    Looks at ``python``, then ``$CT_AHBA_PYTHON``, then ``.venv-ahba/bin/python``
    in the current folder and in the repository that holds this package.

    Raises
    ------
    FileNotFoundError
        With the command that creates the environment.
    """
    candidates = [python, os.environ.get(ABAGEN_PYTHON_ENV)]
    roots = [Path.cwd(), REPOSITORY_ROOT]
    candidates += [root / venv / "bin" / "python" for root in roots for venv in ABAGEN_VENV_NAMES]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate).absolute()
    raise FileNotFoundError(
        "No abagen environment found (looked at the python argument, $"
        f"{ABAGEN_PYTHON_ENV} and .venv-ahba/bin/python). Create it with `make ahba-env` "
        "or `ct-build-ahba setup-env .venv-ahba`, or install "
        f"{' '.join(ABAGEN_REQUIREMENTS)} into a separate environment and set "
        f"{ABAGEN_PYTHON_ENV} to its python."
    )


def create_abagen_env(path: str | os.PathLike, python: str | os.PathLike | None = None) -> Path:
    """Create a virtual environment at ``path`` with :data:`ABAGEN_REQUIREMENTS`.

    Returns the environment's Python. Needs access to PyPI.
    """
    path = Path(path)
    env_python = path / "bin" / "python"
    subprocess.run([str(python or sys.executable), "-m", "venv", str(path)], check=True)
    subprocess.run(
        [str(env_python), "-m", "pip", "install", "--quiet", "-r", str(ABAGEN_REQUIREMENTS_FILE)],
        check=True,
    )
    return env_python
