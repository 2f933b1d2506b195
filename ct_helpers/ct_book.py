"""Rerun a chapter with other parameters: ``ct-book run 04 -p dataset my.csv -o out.ipynb``.

Readers rerun chapters on their own data or settings. The chapters are MyST
Markdown (jupytext); this converts one to a notebook, executes it with
papermill (every value of its ``parameters`` cell can be overridden), and
optionally renders the result as HTML. Values are read the way a shell user
types them: numbers, ``true``/``false``/``null``, YAML lists (``"[2, 4]"``)
and mappings; a value naming an existing file or folder becomes its absolute
path (papermill runs the chapter in the chapters' folder, so a relative path
would otherwise point elsewhere).

Examples
--------
From a shell, in the repository::

    ct-book run 04 -p dataset my_regions.csv -p latent_sizes "[2, 8]" -o my_04.ipynb --html
    ct-book run 05 -p targets my_maps.csv --check   # only check the parameters
    ct-book list
    ct-book datasets

Parameters are checked before a kernel starts (:mod:`ct_helpers.chapter_parameters`):
unknown names, wrong types, unknown datasets, compressors and target sources
("did you mean"), missing files; each is refused in one line. ``--html``
writes one self-contained page with the chapter's glued numbers and
citations resolved (:mod:`ct_helpers.report`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .chapter_parameters import ChapterParameter, ParameterError, check_parameters
from .chapter_parameters import read_parameters as _read_parameters
from .cloud.links import chapter_files

#: The chapters' folder of a source checkout (``ct-book`` also takes ``--notebooks``).
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def parse_value(text: str, base: Path | None = None) -> Any:
    """Read one ``-p NAME VALUE`` value as a shell user means it.

    Examples
    --------
    >>> parse_value("3"), parse_value("0.5"), parse_value("[2, 8]"), parse_value("null")
    (3, 0.5, [2, 8], None)
    >>> parse_value("ahba-dk83"), parse_value("true"), parse_value("None")
    ('ahba-dk83', True, None)
    """
    base = Path.cwd() if base is None else base
    candidate = base / text
    if text and candidate.exists():
        return str(candidate.resolve())
    if text.strip().lower() in ("null", "none", "~"):
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if value is None or isinstance(value, str) else value


def find_chapter(chapter: str, notebooks: Path = NOTEBOOKS) -> Path:
    """Return the MyST source of ``chapter``: a path, a number (``4``, ``"04"``) or a name.

    Examples
    --------
    >>> find_chapter("4").name  # doctest: +SKIP
    '04_reconstruction_and_coherence.md'
    """
    path = Path(chapter)
    if path.suffix in (".md", ".ipynb") and path.exists():
        return path
    sources = chapter_files(notebooks)
    key = chapter.zfill(2) if chapter.isdigit() else chapter
    found = [p for p in sources if p.stem.startswith(key) or p.stem.split("_", 1)[1] == key]
    if len(found) != 1:
        names = ", ".join(p.stem for p in sources) or f"none in {notebooks}"
        raise SystemExit(f"No single chapter {chapter!r}; the chapters are: {names}.")
    return found[0]


def run_chapter(
    chapter: str | os.PathLike,
    parameters: dict[str, Any],
    output: str | os.PathLike,
    html: bool = False,
    notebooks: Path = NOTEBOOKS,
    kernel: str = "python3",
    check_only: bool = False,
) -> Path | None:
    """Execute ``chapter`` with ``parameters`` into the notebook ``output`` (and its HTML).

    The parameters are checked first (:func:`~ct_helpers.chapter_parameters.check_parameters`):
    a mistyped name, a wrong type or an unknown dataset is refused in one
    line before any kernel starts. ``check_only`` stops there (returns None).
    """
    import jupytext

    source = find_chapter(str(chapter), notebooks)
    notebook = jupytext.read(source)
    try:
        parameters = check_parameters(parameters, chapter_parameters(notebook), source.name)
    except ParameterError as error:
        raise SystemExit(f"ct-book: {error}") from None
    if check_only:
        return None
    import papermill

    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    converted = output.with_name(f".{output.stem}.source.ipynb")
    jupytext.write(notebook, converted)
    try:
        with _quiet_papermill():
            papermill.execute_notebook(
                str(converted),
                str(output),
                parameters=parameters,
                kernel_name=kernel,
                cwd=str(source.parent),
            )
    finally:
        converted.unlink(missing_ok=True)
    if html:
        from .report import render_report

        render_report(output, output.with_suffix(".html"))
    return output


@contextlib.contextmanager
def _quiet_papermill():
    """Hide papermill's "Unable to parse line" notes on computed defaults (names are checked)."""
    translators = logging.getLogger("papermill.translators")
    level = translators.level
    translators.setLevel(logging.ERROR)
    try:
        yield
    finally:
        translators.setLevel(level)


def chapter_parameters(notebook) -> list[ChapterParameter]:
    """Return the parameters of a chapter (a jupytext notebook): names, defaults, meanings."""
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise SystemExit("A chapter needs exactly one cell tagged 'parameters'.")
    return _read_parameters(tagged[0].source)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ct-book`` command: ``run``, ``list``, ``datasets``, ``fetch`` or ``colab``.

    ``run CHAPTER [-p NAME VALUE]... [-o OUT] [--html] [--check]`` checks the
    parameters and executes a chapter, ``list`` shows the chapters' parameters
    with their defaults and meanings, ``datasets`` what ``dataset`` can name,
    ``fetch`` downloads the default data and ``colab`` writes (or with
    ``--check`` checks) ``colab/*.ipynb``.
    """
    parser = argparse.ArgumentParser(prog="ct-book", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a chapter with parameters")
    run.add_argument("chapter", help="number (4 or 04), name or path of the chapter")
    run.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a parameter (repeatable)",
    )
    run.add_argument("-o", "--output", help="executed notebook (default CHAPTER.out.ipynb)")
    run.add_argument("--html", action="store_true", help="also write OUTPUT.html")
    run.add_argument(
        "--check", action="store_true", help="only check the parameters (no kernel is started)"
    )
    run.add_argument(
        "--profile",
        choices=["smoke", "default", "paper"],
        help="execution profile (sets CT_PROFILE)",
    )
    run.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="chapters' folder")
    listing = commands.add_parser("list", help="list the chapters and their parameters")
    listing.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    datasets = commands.add_parser("datasets", help="list the datasets a chapter can load")
    datasets.add_argument("--data-dir", help="data folder (default $CT_DATA)")
    fetch = commands.add_parser("fetch", help="download the chapters' default data (once)")
    fetch.add_argument("--data-dir", help="data folder (default $CT_DATA)")
    colab = commands.add_parser("colab", help="write colab/<chapter>.ipynb from the sources")
    colab.add_argument("--check", action="store_true", help="only report stale notebooks")
    colab.add_argument("--book", type=Path, default=NOTEBOOKS.parent, help="book's root folder")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        from .cloud.prefetch import fetch_book_data

        print(fetch_book_data(args.data_dir).to_string(index=False))
        return 0
    if args.command == "colab":
        return _colab(args.book, args.check)
    if args.command == "list":
        import jupytext

        for source in chapter_files(args.notebooks):
            print(source.stem)
            for parameter in chapter_parameters(jupytext.read(source)):
                print(f"    {parameter.describe()}")
        return 0
    if args.command == "datasets":
        from .data.catalog import list_datasets

        table = list_datasets(args.data_dir)[["kind", "status", "description"]]
        print(table.to_string(max_colwidth=70))
        return 0
    if args.profile:
        os.environ["CT_PROFILE"] = args.profile
    parameters = {name: parse_value(value) for name, value in args.parameter}
    source = find_chapter(args.chapter, args.notebooks)
    output = args.output or f"{source.stem}.out.ipynb"
    done = run_chapter(
        source, parameters, output, html=args.html, notebooks=args.notebooks, check_only=args.check
    )
    if done is None:
        print(f"{source.name}: the parameters are fine.")
        return 0
    print(f"Executed {source.name} -> {done}" + (" (+ .html)" if args.html else ""))
    return 0


def _colab(book: Path, check: bool) -> int:
    from .cloud.colab import write_colab_notebooks

    paths = write_colab_notebooks(book, check=check)
    if check and paths:
        names = ", ".join(p.name for p in paths)
        print(f"Stale, missing or orphaned Colab notebooks: {names}; run `make colab`.")
        return 1
    done = "are up to date" if check else f"written: {len(paths)}"
    print(f"Colab notebooks in {book / 'colab'} {done}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
