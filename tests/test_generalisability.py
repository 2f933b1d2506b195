"""Generalisability g across donor groups (Dear et al. 2024), on SYNTHETIC per-donor matrices.

The real path (abagen's per-donor output of a fabricated six-donor AHBA folder)
is tested in ``test_ahba_build.py``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ct_helpers.evaluation.generalisability import (
    disjoint_halves,
    generalisability,
    generalisability_table,
    match_dimensions,
    pooled_expression,
)

DONORS = ["9861", "10021", "12876", "14380", "15496", "15697"]


def smooth_field(coords: np.ndarray, rng: np.random.Generator, n_bumps: int = 4) -> np.ndarray:
    """A SYNTHETIC smooth random field: a sum of broad Gaussian bumps."""
    centres = rng.uniform(-60, 60, size=(n_bumps, 3))
    weights = rng.normal(size=n_bumps)
    squared = ((coords[:, None] - centres[None]) ** 2).sum(-1)
    field = (weights * np.exp(-squared / (2 * 30.0**2))).sum(-1)
    return (field - field.mean()) / field.std()


def planted_donors(n_regions: int = 120, n_genes: int = 60, missing: bool = False, seed: int = 0):
    """SYNTHETIC donors: two-thirds of the genes follow a shared field, one third a donor's own."""
    rng = np.random.default_rng(seed)
    coords = rng.uniform(-60, 60, size=(n_regions, 3))
    shared = smooth_field(coords, rng)
    shared_genes = n_genes * 2 // 3
    loadings = rng.uniform(0.5, 1.5, size=n_genes)
    donors = {}
    for number, donor in enumerate(DONORS):
        own = smooth_field(coords, rng)
        fields = np.where(np.arange(n_genes) < shared_genes, shared[:, None], own[:, None])
        values = 0.5 + 0.1 * fields * loadings + 0.01 * rng.standard_normal((n_regions, n_genes))
        if missing and number >= 2:  # donors without the right hemisphere, as in AHBA
            values[coords[:, 0] > 0] = np.nan
        donors[donor] = values.astype(np.float32)
    return donors


def test_six_donors_split_into_the_ten_pairs_of_disjoint_triplets():
    pairs = disjoint_halves(DONORS)
    assert len(pairs) == 10
    triplets = [group for pair in pairs for group in pair]
    assert len(set(triplets)) == 20 == len(list(itertools.combinations(DONORS, 3)))
    for one, other in pairs:
        assert set(one).isdisjoint(other) and set(one) | set(other) == set(DONORS)


@pytest.mark.parametrize("donors", [DONORS[:5], DONORS[:2], ["a", "a", "b", "c"]])
def test_donor_groups_need_an_even_number_of_distinct_donors(donors):
    with pytest.raises(ValueError, match="donors|repeated"):
        disjoint_halves(donors)


def test_pooling_leaves_out_the_regions_a_donor_lacks():
    a = np.array([[1.0, 2.0], [np.nan, np.nan], [np.nan, np.nan]], dtype=np.float32)
    b = np.array([[3.0, 4.0], [5.0, 6.0], [np.nan, np.nan]], dtype=np.float32)
    pooled = pooled_expression({"a": a, "b": b}, ["a", "b"])
    np.testing.assert_array_equal(pooled[:2], [[2.0, 3.0], [5.0, 6.0]])
    assert np.isnan(pooled[2]).all()
    with pytest.raises(ValueError, match="Donor c"):
        pooled_expression({"a": a, "c": a[:2]}, ["a", "c"])


def test_dimensions_are_matched_and_signs_aligned_to_the_reference():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(80, 4))
    noisy = reference + 0.3 * rng.normal(size=reference.shape)
    codes = noisy[:, [3, 1, 0, 2]] * np.array([-1, 1, -1, 1])
    np.testing.assert_allclose(match_dimensions(reference, codes), noisy)


def test_a_shared_field_generalises_and_donor_specific_fields_do_not():
    table = generalisability(planted_donors(), "pca", 2, progress=False)
    assert table["dimension"].tolist() == [1, 2]
    assert (table["pairs"] == 10).all()
    g_shared, g_own = table["g"]
    assert g_shared > 0.95, table
    assert g_own < 0.6, table  # each triplet's second component is its donors' own fields
    pairs = table.attrs["pairs"]
    assert len(pairs) == 20 and set(pairs["dimension"]) == {1, 2}


def test_regions_missing_in_some_donors_are_left_out_not_turned_into_nan():
    donors = planted_donors(missing=True)
    table = generalisability(donors, "pca", 1, progress=False)
    assert np.isfinite(table["g"]).all() and table["g"].iloc[0] > 0.9
    # a triplet of left-hemisphere-only donors shares only the left regions with its partner
    left = int(np.isfinite(donors["15697"]).all(axis=1).sum())
    assert 0 < left < 120 and table["regions"].iloc[0] == left
    assert set(table.attrs["pairs"]["regions"]) == {left, 120}


def test_without_any_shared_signal_g_is_low():
    rng = np.random.default_rng(2)
    donors = {d: rng.random((100, 30)).astype(np.float32) for d in DONORS}  # pure noise
    table = generalisability(donors, "pca", 2, progress=False)
    assert (table["g"] < 0.4).all(), table


def test_the_table_covers_methods_and_sizes_and_names_what_it_skipped(monkeypatch):
    from ct_helpers.compressors import PCACompressor, registry

    class AtMostThree(PCACompressor):  # a method with a limit, as t-SNE's 3, fitted quickly
        name, max_components = "pca-3", 3

    entry = registry.CompressorEntry("pca-3", AtMostThree, "PCA limited to 3 components")
    monkeypatch.setitem(registry._COMPRESSORS, "pca-3", entry)
    table = generalisability_table(planted_donors(n_regions=60), ["pca", "pca-3"], [1, 4])
    assert set(zip(table["method"], table["k"], strict=True)) == {
        ("pca", 1),
        ("pca", 4),
        ("pca-3", 1),
    }
    assert any("pca-3 k = 4" in line for line in table.attrs["skipped"])


def test_a_built_datasets_table_is_saved_with_its_parameters_and_read_back(tmp_path, monkeypatch):
    from ct_helpers.data.donors import DonorExpression
    from ct_helpers.data.synthetic import make_synthetic_expression
    from ct_helpers.evaluation import generalisability as module

    donors = planted_donors(n_regions=60)
    data = make_synthetic_expression(n_genes=60, n_samples=60, random_state=0)  # SYNTHETIC
    data.provenance["build_key"] = {"donors": DONORS}
    built = DonorExpression(dataset=data, expression=donors)
    table = module.generalisability_table(built, ["pca"], [2], data_dir=tmp_path, cache=True)
    saved = list((tmp_path / "generalisability").glob("*.csv"))
    assert len(saved) == 1 and saved[0].name.startswith(data.name)

    def refuse(*args, **kwargs):
        raise AssertionError("fitted again although the table is saved")

    monkeypatch.setattr(module, "generalisability", refuse)
    again = module.generalisability_table(built, ["pca"], [2], data_dir=tmp_path, cache=True)
    np.testing.assert_allclose(again["g"], table["g"])
    assert again.attrs["parameters"]["methods"] == ["pca"]
    assert "numpy" in again.attrs["versions"]
    with pytest.raises(ValueError, match="cache=True needs a built dataset's donors"):
        module.generalisability_table(donors, ["pca"], [2], data_dir=tmp_path, cache=True)
