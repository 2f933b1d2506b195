"""ct-book: rerunning a chapter with parameters typed in a shell."""

import json
import subprocess
import sys

import pytest

from ct_helpers.rerun import NOTEBOOKS, find_chapter, main, parse_value


def test_values_are_read_as_a_shell_user_means_them(tmp_path):
    (tmp_path / "my.csv").write_text("x\n")
    assert parse_value("my.csv", base=tmp_path) == str((tmp_path / "my.csv").resolve())
    assert parse_value("missing.csv", base=tmp_path) == "missing.csv"
    assert parse_value("[2, 8]") == [2, 8] and parse_value("{a: 1}") == {"a": 1}
    assert parse_value("None") is None and parse_value("false") is False
    assert parse_value("ahba-dk83") == "ahba-dk83" and parse_value("[unclosed") == "[unclosed"


def test_chapters_are_found_by_number_name_or_path():
    assert find_chapter("4").name.startswith("04_")
    assert find_chapter("04").name.startswith("04_")
    assert find_chapter("prediction").name == "05_prediction.md"
    assert find_chapter(str(NOTEBOOKS / "01_data.md")).name == "01_data.md"
    with pytest.raises(SystemExit, match="No single chapter '9'"):
        find_chapter("9")


def test_a_mistyped_parameter_is_refused_with_the_chapters_parameters(tmp_path):
    with pytest.raises(SystemExit, match=r"no parameter \['datset'\].*'dataset'"):
        main(["run", "1", "-p", "datset", "ahba-dk83", "-o", str(tmp_path / "x.ipynb")])


@pytest.mark.slow
def test_ct_book_runs_chapter_1_with_parameters_and_writes_html(tmp_path, real_data_dir):
    out = tmp_path / "out" / "data.ipynb"
    env = {"CT_DATA": str(real_data_dir), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "ct_helpers.rerun", "run", "01", "--profile", "smoke",
                    "-p", "dataset", "ahba-dk83", "-p", "seed", "3", "-o", str(out), "--html"],
                   check=True, cwd=tmp_path, env=env, capture_output=True)  # fmt: skip
    cells = json.loads(out.read_text())["cells"]
    injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert 'dataset = "ahba-dk83"' in "".join(injected[0]["source"])
    assert "seed = 3" in "".join(injected[0]["source"])
    assert "Desikan" in json.dumps([c.get("outputs", []) for c in cells])
    assert out.with_suffix(".html").stat().st_size > 10_000
