"""ct-book: rerunning a chapter with parameters typed in a shell."""

import pytest

from ct_helpers.ct_book import NOTEBOOKS, find_chapter, main, parse_value


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
    with pytest.raises(SystemExit, match=r"no parameter 'datset' \(did you mean 'dataset'\?\)"):
        main(["run", "1", "-p", "datset", "ahba-dk83", "-o", str(tmp_path / "x.ipynb")])


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        (
            ["02", "-p", "dataset", "ahba-shaefer100"],
            r"no dataset 'ahba-shaefer100' \(did you mean 'ahba-schaefer100'\?\)",
        ),
        (["02", "-p", "dataset", "no_such_table.csv"], r"dataset: no file 'no_such_table.csv'"),
        (["05", "-p", "k", "4"], r"k = 4: tsne makes at most 3 components; choose k <= 3"),
        (["05", "-p", "targets", "mir"], r"no target source 'mir' \(did you mean 'mri'\?\)"),
        (["05", "-p", "targets", "my_maps.csv"], r"no file or folder 'my_maps.csv'"),
        (["06", "-p", "k", "two"], r"k: a whole number \(default 2\), not 'two'"),
        (["06", "-p", "method", "pcaa"], r"no compressor 'pcaa' \(did you mean 'pca', 'kpca'\?\)"),
        (["06", "-p", "table", "my_lh.csv"], r"table: no file 'my_lh.csv'"),
    ],
)
def test_parameters_that_cannot_work_are_refused_in_one_line_before_a_kernel_starts(
    arguments, answer, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=answer) as refused:
        main(["run", *arguments, "-o", str(tmp_path / "x.ipynb")])
    assert "\n" not in str(refused.value) and not (tmp_path / "x.ipynb").exists()


def test_a_dataset_that_needs_building_says_how(tmp_path):
    with pytest.raises(SystemExit, match=r"'ahba-voxel-8mm' is not built: run `make ahba RES=8`"):
        main(
            [
                "run",
                "02",
                "-p",
                "dataset",
                "ahba-voxel-8mm",
                "-p",
                "data_dir",
                str(tmp_path),
                "--check",
            ]
        )


def test_one_value_for_a_list_parameter_is_a_list_and_check_runs_no_kernel(tmp_path, capsys):
    import jupytext

    from ct_helpers.chapter_parameters import check_parameters
    from ct_helpers.ct_book import chapter_parameters

    known = chapter_parameters(jupytext.read(find_chapter("05")))
    assert check_parameters({"methods": "pca", "k": 4}, known) == {"methods": ["pca"], "k": 4}
    assert main(["run", "05", "-p", "methods", "pca", "-p", "k", "4", "--check"]) == 0
    assert "the parameters are fine" in capsys.readouterr().out


def test_ct_book_list_shows_defaults_and_meanings(capsys):
    main(["list"])
    listing = capsys.readouterr().out
    assert "table = None  # path of your region table" in listing
    assert "latent_sizes = ct.by_profile(smoke=[2], default=[2, 4, 8, 16]" in listing
    assert "k = 2  # latent size" in listing


def test_list_datasets_says_what_is_ready_and_what_needs_building(tmp_path):
    import ct_helpers as ct

    status = ct.list_datasets(tmp_path)["status"]
    assert status["ahba-voxel-4mm"] == "not built: run `make ahba RES=4` once"
    assert status["synthetic"] == "computed when loaded"
    assert status["ahba-dk83"] == "downloaded when first loaded"
