"""Every command in README.md and book/running.md works when followed (issue 33).

The commands are extracted from the Markdown, not copied here, so a changed
page is tested as it reads. Each kind is run as far as a test can:

* ``make`` commands: the target exists and its recipe resolves (``make -n``);
  the README's two commands are the ones CI itself runs (``.ci/run``).
* ``ct-book`` commands: run. ``ct-book run`` commands are checked by
  ``--check`` (parameter names, types, datasets, compressors, target sources,
  files, before any kernel), except the one of Chapter 1 (the quickest),
  which executes in the smoke profile and whose ``--html`` page is opened;
  every chapter executes in the smoke profile in ``test_notebooks.py``.
* ``jupytext`` commands: run; ``papermill`` commands: their parameters are
  read as papermill reads them and checked the same way.
* Python blocks: executed, in a folder holding the files they name.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", ROOT / "book" / "running.md")
BIN = Path(sys.executable).parent
#: Names the pages use for a reader's files, and what stands in for each here.
PLACEHOLDERS = ("my_regions.csv", "my_maps.csv", "/path/to/my_maps")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```", text, re.M | re.S)


def shell_commands(block: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line for line in joined.splitlines() if shlex.split(line, comments=True)]


def inline_commands(text: str) -> list[str]:
    return re.findall(r"`((?:[A-Z_]+=\S+ )*(?:make|ct-book|\.venv/bin/ct-book) [^`]+)`", text)


def all_commands() -> list[tuple[str, str]]:
    found = []
    for page in DOCS:
        text = page.read_text(encoding="utf-8")
        for language, block in fenced_blocks(text):
            if language == "bash":
                found += [(page.name, command) for command in shell_commands(block)]
            elif language == "python":
                found.append((page.name, "python: " + block))
        found += [(page.name, command) for command in inline_commands(text)]
    return found


COMMANDS = all_commands()


def test_the_pages_hold_the_commands_this_test_knows():
    kinds = {kind_of(command) for _, command in COMMANDS}
    assert kinds <= {"make", "ct-book", "jupytext", "papermill", "python"}, kinds
    assert sum(kind_of(c) == "ct-book" for _, c in COMMANDS) >= 4


def kind_of(command: str) -> str:
    if command.startswith("python: "):
        return "python"
    words = [w for w in shlex.split(command, comments=True) if not re.match(r"[A-Z_]+=", w)]
    return Path(words[0]).name


def test_the_readme_gives_the_two_commands_ci_runs():
    readme = [c for page, c in COMMANDS if page == "README.md" and kind_of(c) == "make"]
    assert readme[:2] == [
        "make book   # create .venv, install, execute every chapter on the "
        "default data, build _build/html",
        "make test   # create/use .venv, install with test extras, run the whole test suite",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make book-from-tests" in ci
    # CI's book is strict: warnings are errors and a chapter that raises fails the build
    recipe = (ROOT / "Makefile").read_text().split("book-from-tests:")[1].split("\n\n")[0]
    assert "jupyter-book build" in recipe and "-W" in recipe


@pytest.mark.parametrize("command", sorted({c for _, c in COMMANDS if kind_of(c) == "make"}))
def test_every_make_command_names_a_target_whose_recipe_resolves(command):
    words = shlex.split(command, comments=True)
    env = dict(os.environ, **dict(w.split("=", 1) for w in words if re.match(r"[A-Z_]+=", w)))
    arguments = [w for w in words[words.index("make") + 1 :]]
    done = subprocess.run(
        ["make", "-n", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"


@pytest.fixture(scope="module")
def reader_folder(tmp_path_factory, real_data_dir, dk83):
    """A folder with the files the pages name, and a data folder of its own."""
    folder = tmp_path_factory.mktemp("reader")
    data_dir = folder / "data"
    data_dir.mkdir()
    for shared in ("downloads", "imaging-transcriptomics-1.1.15", "brainspace-0.3.0"):
        (data_dir / shared).symlink_to(Path(real_data_dir) / shared)
    regions = pd.DataFrame(dk83.expression[:, :300], columns=dk83.genes[:300])
    regions.insert(0, "region", dk83.sample_ids)
    regions.to_csv(folder / "my_regions.csv", index=False)
    from ct_helpers.data.parcels import atlas_regions

    _, schaefer_regions = atlas_regions("schaefer100", real_data_dir)
    maps = pd.DataFrame(
        {
            "region": schaefer_regions["name"].to_numpy(),
            "my_map": np.linspace(0, 1, len(schaefer_regions)),
        }
    )
    maps.to_csv(folder / "my_maps.csv", index=False)
    (folder / "my_maps").mkdir()
    (folder / "out").mkdir()
    return folder, data_dir


def resolve(command: str, folder: Path) -> str:
    command = command.replace("/tmp/", f"{folder}/")  # the pages' scratch files: here
    return command.replace("/path/to/my_maps", str(folder / "my_maps"))


def environment(data_dir: Path) -> dict:
    return dict(os.environ, CT_DATA=str(data_dir), CT_PROFILE="smoke", MPLBACKEND="Agg")


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted({c for _, c in COMMANDS if kind_of(c) == "ct-book"}))
def test_every_ct_book_command_works(command, reader_folder):
    folder, data_dir = reader_folder
    words = shlex.split(resolve(command, folder), comments=True)
    arguments = words[1:]
    executes = arguments[:2] == ["run", "01"]  # the cheapest chapter runs; others are checked
    if arguments[0] == "run" and not executes and "--check" not in arguments:
        arguments.append("--check")
    done = subprocess.run(
        [sys.executable, "-m", "ct_helpers.ct_book", *arguments],
        cwd=folder,
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert "Unable to parse line" not in done.stderr  # papermill's noise is gone
    if executes:
        output = folder / arguments[arguments.index("-o") + 1]
        page = output.with_suffix(".html").read_text(encoding="utf-8")
        assert "{glue" not in page and "{cite}" not in page
        assert "Hawrylycz et al. 2012" in page
        import nbformat
        from myst_nb.core.variables import format_plain_text

        from ct_helpers.report import glued_values

        notebook = nbformat.read(str(output), as_version=4)
        values = glued_values(notebook)
        uses = re.findall(
            r"\{glue:text\}`([^`:]+):?([^`]*)`",
            "".join(c.source for c in notebook.cells if c.cell_type == "markdown"),
        )
        assert uses, "the chapter glues numbers into its text"
        for name, spec in uses:  # each glued number appears on the page as the book shows it
            assert format_plain_text(values[name], spec or "s") in page, name


@pytest.mark.slow
def test_every_jupytext_and_papermill_command_works(reader_folder):
    import jupytext

    from ct_helpers.chapter_parameters import check_parameters
    from ct_helpers.ct_book import chapter_parameters, find_chapter

    folder, data_dir = reader_folder
    commands = [c for _, c in COMMANDS if kind_of(c) in ("jupytext", "papermill")]
    assert len(commands) >= 4
    for command in commands:
        words = shlex.split(resolve(command, folder), comments=True)
        if kind_of(command) == "jupytext":
            subprocess.run(
                [str(BIN / "jupytext"), *words[1:]], cwd=ROOT, check=True, capture_output=True
            )
            continue
        parameters, position = {}, 3
        while position < len(words):
            option = words[position]
            if option == "-p":
                parameters[words[position + 1]] = _papermill_value(words[position + 2])
                position += 3
            elif option == "-y":
                parameters.update(yaml.safe_load(words[position + 1]))
                position += 2
            else:
                raise AssertionError(f"{command}: option {option} is not read by this test")
        stem = Path(words[1]).stem
        chapter = find_chapter(stem.split("_")[0])
        check_parameters(parameters, chapter_parameters(jupytext.read(chapter)), chapter.name)
        assert Path(words[1]).exists(), f"{command}: run the jupytext line above it first"


def _papermill_value(text: str):
    """Read a ``-p`` value as papermill does: int, float, bool, None, else text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


@pytest.mark.slow
def test_every_python_block_runs(reader_folder):
    folder, data_dir = reader_folder
    blocks = [c.removeprefix("python: ") for _, c in COMMANDS if kind_of(c) == "python"]
    assert blocks
    for block in blocks:
        done = subprocess.run(
            [sys.executable, "-c", block],
            cwd=folder,
            env=environment(data_dir),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{block}\n{done.stderr[-3000:]}"
