"""A generated corpus of readers' files, each read right or refused by name (reading contract).

From the book's real Schaefer-100 data and real MRI target maps, hypothesis writes target tables
and expression tables in combinations of the variants readers' tools produce (header or none,
separator and decimal mark, encoding, quoting, ids first, last, as row names or absent, ids as
names in other conventions or as integer labels, shuffled, missing and extra rows, empty cells,
the other orientation, gzip, a suffix that lies) with the truth known, reads them through the
public entry points and asserts exact values at the right sample and column, or one of the named
errors (``TableReadError``): never another exception, never a shifted or transposed result.

CT_CORPUS_EXAMPLES sets the number of files (CI: the default below; ``make corpus`` runs more).
"""

import gzip
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ct_helpers as ct
from ct_helpers.compressors import make_compressor
from ct_helpers.compressors.decoder import KernelRidgeDecoder
from ct_helpers.prediction.sources.mri import load_mri_targets
from ct_helpers.prediction.target_tables import load_target_table

EXAMPLES = int(os.environ.get("CT_CORPUS_EXAMPLES", "60"))
CORPUS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MAP_NAMES = ["myelin_T1wT2w", "épaisseur", "fc_gradient", "curvature"]
SEPARATORS = [(",", "."), (";", ","), ("\t", "."), ("\t", ","), (" ", ".")]
SUFFIXES = [".csv", ".tsv", ".txt", ".dat", ".xyz"]


@pytest.fixture(scope="module")
def truth(schaefer, real_data_dir):
    """The real MRI maps at the Schaefer samples, and the atlas's labels (100 parcels)."""
    mri = load_mri_targets(schaefer, real_data_dir)
    values = np.nan_to_num(mri.values[:, : len(MAP_NAMES)].astype(np.float64), nan=0.5)
    parcels = np.unique(schaefer.space.atlas[schaefer.space.atlas != 0])
    return {"values": values, "labels": np.asarray(schaefer.space.labels), "parcels": parcels}


def cell(value: float, decimal: str) -> str:
    text = repr(float(value))
    return text.replace(".", ",") if decimal == "," else text


def write(path, rows, sep, quote, encoding, compress):
    def field(text):
        needs = quote or (sep != " " and (sep in text or '"' in text))
        return '"' + text.replace('"', '""') + '"' if needs else text

    body = "\n".join((" " if sep == " " else sep).join(field(str(c)) for c in row) for row in rows)
    data = ("\ufeff" if encoding == "utf-8-sig" else "").encode() + body.encode(
        "latin-1" if encoding == "latin-1" else "utf-8"
    )
    path.write_bytes(gzip.compress(data) if compress else data)


@st.composite
def target_files(draw):
    layout = draw(
        st.sampled_from(
            [
                "ids first",
                "ids last",
                "row names",
                "by sample order",
                "by parcel order",
                "maps as rows",
            ]
        )
    )
    ids_as = draw(st.sampled_from(["sample id", "other case", "short name", "label", "position"]))
    if layout == "maps as rows" and ids_as in ("label", "position"):
        ids_as = "sample id"
    sep, decimal = draw(st.sampled_from(SEPARATORS))
    positional = layout.startswith("by ")
    return {
        "layout": layout,
        "ids_as": ids_as,
        "sep": sep,
        "decimal": decimal,
        "header": True if layout in ("row names", "maps as rows") else draw(st.booleans()),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])),
        "quote": draw(st.booleans()) and sep != " ",
        "shuffle": not positional and draw(st.booleans()),
        "missing": 0 if positional else draw(st.integers(0, 4)),
        "extra": not positional and draw(st.booleans()),
        "empty_cells": draw(st.integers(0, 3)),
        "n_maps": draw(st.integers(1, len(MAP_NAMES))),
        "compress": draw(st.booleans()),
        "suffix": draw(st.sampled_from(SUFFIXES)),
        "fault": draw(st.sampled_from([None] * 8 + ["repeated id", "infinite value"])),
        "seed": draw(st.integers(0, 2**16)),
    }


def sample_name(sample_id: str, label: int, style: str, sep: str) -> str:
    if style == "other case":
        return sample_id.lower() if sep == " " else f"  {sample_id.upper()} "
    if style == "short name":  # "7Networks_LH_Vis_1" -> "LH_Vis_1"
        return sample_id.split("_", 1)[1]
    if style == "label":
        return str(label)
    if style == "position":
        return str(label - 1)
    return sample_id


def build_target_file(case, truth, schaefer, tmp_path):
    """Write the case's file; return its path and the expected maps (samples x maps, NaN absent)."""
    rng = np.random.default_rng(case["seed"])
    names = MAP_NAMES[: case["n_maps"]]
    values, labels = truth["values"][:, : case["n_maps"]].copy(), truth["labels"]
    expected, extra_row = np.full(values.shape, np.nan), None
    if case["layout"] == "by parcel order":
        rows = [
            (None, values[list(labels).index(p)] if p in labels else np.full(len(names), 7.0))
            for p in truth["parcels"]
        ]
        expected = values.copy()
    elif case["layout"] == "by sample order":
        rows, expected = [(None, v) for v in values], values.copy()
    else:
        order = rng.permutation(len(labels)) if case["shuffle"] else np.arange(len(labels))
        order = order[case["missing"] :]
        rows = [
            (sample_name(schaefer.sample_ids[i], labels[i], case["ids_as"], case["sep"]), values[i])
            for i in order
        ]
        expected[order] = values[order]
        if case["extra"]:  # a parcel the expression data lack (60), or a region of nowhere
            extra = (
                "60"
                if case["ids_as"] in ("label",)
                else ("59" if case["ids_as"] == "position" else "7Networks_RH_SomMot_2")
            )
            extra_row = len(rows) // 2
            rows.insert(extra_row, (extra, np.full(len(names), 9.0)))
    table = [[ident, *[cell(v, case["decimal"]) for v in vals]] for ident, vals in rows]
    for _ in range(case["empty_cells"]):  # empty cells: samples the map does not cover
        r, c = rng.integers(len(table)), rng.integers(len(names))
        table[r][c + 1] = "NA" if case["sep"] == " " else ""  # white space cannot hold ""
        if r != extra_row:  # the extra row names no sample of the dataset
            target = _row_of(rows[r], r, case, schaefer, labels, truth)
            if target is not None:
                expected[target, c] = np.nan
    if case["fault"] == "repeated id" and not case["layout"].startswith("by "):
        table.append(list(table[0]))
    if case["fault"] == "infinite value":
        table[0][1] = "inf"
    has_ids = not case["layout"].startswith("by ")
    header = (["region"] if case["layout"] in ("ids first", "ids last") else [""]) + names
    lines = [row[1:] + row[:1] if case["layout"] == "ids last" else row for row in table]
    if case["layout"] == "ids last":
        header = header[1:] + header[:1]
    if not has_ids:
        lines, header = [row[1:] for row in lines], header[1:]
    if case["layout"] == "maps as rows":
        lines = [[names[j], *[row[j + 1] for row in table]] for j in range(len(names))]
        header = ["map", *[row[0] for row in table]]
    if case["header"]:
        lines = [header, *lines]
    path = tmp_path / f"maps{case['suffix']}"
    write(path, lines, case["sep"], case["quote"], case["encoding"], case["compress"])
    return path, names, expected


def _row_of(row, position, case, schaefer, labels, truth):
    """Dataset row of the written row ``position`` (for blanked cells)."""
    if case["layout"] == "by sample order":
        return position
    if case["layout"] == "by parcel order":
        parcel = truth["parcels"][position]
        return list(labels).index(parcel) if parcel in labels else None
    ident = str(row[0]).strip()
    for i, (sample_id, label) in enumerate(zip(schaefer.sample_ids, labels, strict=True)):
        if sample_name(sample_id, label, case["ids_as"], case["sep"]).strip() == ident:
            return i
    return None


def expected_refusal(case, truth) -> str | None:
    """The named error the reading contract promises for this case, if any."""
    if case["fault"] == "repeated id" and case["layout"] == "maps as rows":
        return "duplicate column names"  # the ids are the header: a repeated column name
    if case["fault"] == "repeated id" and not case["layout"].startswith("by "):
        return "more than once"
    if case["fault"] == "infinite value":
        return "infinite"
    return None


@CORPUS
@given(case=target_files())
def test_target_tables_are_read_right_or_refused_by_name(case, truth, schaefer, tmp_path_factory):
    path, names, expected = build_target_file(case, truth, schaefer, tmp_path_factory.mktemp("t"))
    refusal = expected_refusal(case, truth)
    try:
        maps = load_target_table(path, schaefer, domains="user")
    except ct.TableReadError as error:
        if "integer ids" in str(error):  # labels and positions both fit: refused, not guessed
            assert case["ids_as"] in ("label", "position") and case["missing"] > 0, case
            return
        if "may also be one column" in str(error) or "same number of fields" in str(error):
            # "1,5" alone on each line: two integer columns, or one with a decimal comma?
            assert (
                case["n_maps"] == 1 and case["decimal"] == "," and case["layout"].startswith("by ")
            ), case
            return
        if "cannot be told" in str(error):  # the first row's numbers all blanked: header?
            assert not case["header"] and case["empty_cells"], case
            return
        if "may be sample ids" in str(error):  # a header-less column of integers: ids or map?
            assert not case["header"] and case["ids_as"] in ("label", "position"), case
            return
        assert refusal is not None and refusal in str(error), (case, str(error))
        assert path.name in str(error)
        return
    assert refusal is None, f"{case}: expected an error about {refusal!r}"
    if case["header"] or case["layout"] == "maps as rows":
        assert maps.names == names, case
    else:
        assert len(maps.names) == len(names), case
    np.testing.assert_allclose(
        maps.values, expected.astype(np.float32), rtol=1e-6, err_msg=str(case)
    )
    assert path.name in maps.provenance["read"]


@st.composite
def expression_files(draw):
    sep, decimal = draw(st.sampled_from(SEPARATORS))
    return {
        "ids": draw(st.sampled_from(["first", "last", "row names"])),
        "ids_as": draw(st.sampled_from(["sample id", "other case", "short name"])),
        "header": draw(st.sampled_from([True] * 5 + [False])),
        "sep": sep,
        "decimal": decimal,
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])),
        "quote": draw(st.booleans()) and sep != " ",
        "genes_as_rows": draw(st.sampled_from([False] * 3 + [True])),
        "dates": draw(st.sampled_from([False] * 5 + [True])),
        "compress": draw(st.booleans()),
        "n_rows": draw(st.integers(12, 99)),
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(CORPUS, max_examples=max(EXAMPLES // 4, 8))
@given(case=expression_files())
def test_expression_tables_are_read_right_or_refused_by_name(case, schaefer, tmp_path_factory):
    rng = np.random.default_rng(case["seed"])
    rows = rng.permutation(schaefer.n_samples)[: case["n_rows"]]
    genes = list(rng.choice(schaefer.genes, 12, replace=False))
    values = schaefer.expression[np.ix_(rows, [list(schaefer.genes).index(g) for g in genes])]
    if case["dates"]:
        genes[3] = "Sep-02"  # how a spreadsheet shows SEPT2
    ids = [sample_name(schaefer.sample_ids[i], 0, case["ids_as"], case["sep"]) for i in rows]
    body = [
        [ident, *[cell(v, case["decimal"]) for v in vals]]
        for ident, vals in zip(ids, values, strict=True)
    ]
    header = ["region" if case["ids"] != "row names" else "", *genes]
    if case["ids"] == "last":
        body, header = [row[1:] + row[:1] for row in body], header[1:] + header[:1]
    lines = [header, *body] if case["header"] else body
    if case["genes_as_rows"]:  # from the values: the body's id column may stand last
        lines = [
            ["gene", *ids],
            *[[g, *[cell(v, case["decimal"]) for v in values[:, j]]] for j, g in enumerate(genes)],
        ]
    path = tmp_path_factory.mktemp("e") / "mine.csv"
    write(path, lines, case["sep"], case["quote"], case["encoding"], case["compress"])
    try:
        data = ct.load_dataset(path)
    except ct.TableReadError as error:
        assert path.name in str(error)
        assert (
            not case["header"] and not case["genes_as_rows"] and "no header row" in str(error)
        ) or (case["dates"] and "Sep-02" in str(error)), (case, str(error))
        return
    assert case["header"] or case["genes_as_rows"], case
    assert not case["dates"], case
    assert list(data.genes) == genes
    by_label = {int(label): row for row, label in enumerate(schaefer.space.labels)}
    truth_rows = [by_label[int(label)] for label in data.space.labels]
    assert sorted(truth_rows) == sorted(rows.tolist()), case  # every row placed, none shifted
    columns = [list(schaefer.genes).index(g) for g in genes]
    np.testing.assert_array_equal(data.expression, schaefer.expression[np.ix_(truth_rows, columns)])
    assert (
        "mine.csv" in data.provenance["read"]
        and "rows placed by region name" in (data.provenance["read"])
    )


@pytest.mark.parametrize("method", ["pca", "kpca", "nmf", "tsne", "umap"])
@pytest.mark.parametrize(
    ("n_samples", "n_genes"), [(1, 20), (2, 20), (3, 20), (5, 20), (30, 1), (30, 3)]
)
@pytest.mark.parametrize("k", [1, 2, 4])
def test_degenerate_inputs_give_codes_or_a_named_error_that_states_the_minimum(
    method, n_samples, n_genes, k
):
    X = np.random.default_rng(0).random((n_samples, n_genes)).astype(np.float32)  # SYNTHETIC
    model = make_compressor(method, n_components=k, random_state=0)
    try:
        codes = model.fit_transform(X)
    except ValueError as error:
        text = str(error)
        needed = model.min_training_samples()
        if n_samples < needed:
            assert f"needs at least {needed}" in text and method in text
        else:
            assert "exceeds min(n_samples, n_genes)" in text or "at most" in text, text
        return
    assert codes.shape == (n_samples, k) and np.isfinite(codes).all()


def test_constant_genes_and_repeated_rows(tmp_path):
    X = np.random.default_rng(0).random((30, 20)).astype(np.float32)  # SYNTHETIC
    X[:, 4] = 0.5
    for method in ("pca", "nmf", "umap"):
        with pytest.raises(ValueError, match=r"constant over the 30 training samples: 4"):
            make_compressor(method, n_components=2, random_state=0).fit(X)
    repeated = np.repeat(X[:5, [0, 1, 2, 3, 5]], 6, axis=0)
    for method in ("pca", "kpca", "nmf", "tsne", "umap"):
        codes = make_compressor(method, n_components=2, random_state=0).fit_transform(repeated)
        assert np.isfinite(codes).all()
    with pytest.raises(ValueError, match="learned decoder needs at least 3 training samples"):
        KernelRidgeDecoder().fit(np.zeros((2, 2), np.float32), np.ones((2, 3), np.float32))
