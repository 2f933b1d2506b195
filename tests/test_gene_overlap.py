"""A reader's table with fewer genes, a model kept under its key, results never overwritten
(issue 33), on the book's real Schaefer-100 and DK-83 expression."""

import warnings

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors.fitted import fit_or_load
from ct_helpers.data.export import save_latent_maps


@pytest.fixture(scope="module")
def subset(dk83):
    """The DK-83 data on 300 of its genes, in another order."""
    genes = np.random.default_rng(0).permutation(dk83.genes)[:300]
    return dk83.select_genes(genes)


def test_shared_genes_counts_them_and_measures_their_share_of_the_variance(schaefer, subset):
    overlap = ct.shared_genes(schaefer, subset, warn=False)
    assert overlap.n_shared == 300 and overlap.n_training == schaefer.n_genes
    assert list(overlap.genes) == [g for g in schaefer.genes if g in set(subset.genes)]
    variances = schaefer.expression.astype(np.float64).var(axis=0)
    expected = variances[np.isin(schaefer.genes, subset.genes)].sum() / variances.sum()
    assert overlap.variance_share == pytest.approx(expected, rel=1e-6)
    assert "shares 300 of the 15,633 genes" in overlap.describe()
    with pytest.warns(ct.GeneOverlapWarning, match="misses most of what"):
        ct.shared_genes(schaefer, subset)  # 300 genes carry far below half
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not ct.shared_genes(schaefer, schaefer).low  # all genes: no warning


def test_no_shared_gene_is_refused_and_case_is_named(schaefer):
    with pytest.raises(ValueError, match=r"shares no gene .* would match ignoring case"):
        ct.shared_genes(schaefer, [g.lower() for g in schaefer.genes[:20]])


def test_select_genes_keeps_values_order_and_anatomy_and_names_unknown_genes(dk83):
    picked = dk83.select_genes(["PVALB", "SST"])
    np.testing.assert_array_equal(picked.expression[:, 1], dk83.gene("SST"))
    assert picked.provenance["genes_selected"]["n_genes"] == 2
    assert picked.sample_info.equals(dk83.sample_info) and picked.space is dk83.space
    with pytest.raises(ValueError, match=r"has no genes NOTAGENE \(1 of the 2"):
        dk83.select_genes(["PVALB", "NOTAGENE"])


def test_a_model_fitted_on_the_shared_genes_compresses_the_table_and_the_error_names_the_way(
    schaefer, subset
):
    full = ct.make_compressor("pca", n_components=2, random_state=0).fit(schaefer)
    with pytest.raises(ValueError, match=r"15333 of the 15633 .* ct.shared_genes"):
        full.transform(subset)  # a model applied as is needs all its genes
    overlap = ct.shared_genes(schaefer, subset, warn=False)
    model = ct.make_compressor("pca", n_components=2, random_state=0)
    codes = model.fit(schaefer.select_genes(overlap.genes)).transform(subset)
    assert codes.shape == (83, 2) and np.isfinite(codes).all()


def test_the_kept_model_is_keyed_by_data_genes_method_size_and_seed(schaefer, subset, tmp_path):
    shared = schaefer.select_genes(ct.shared_genes(schaefer, subset, warn=False).genes)
    model, path = fit_or_load("pca", shared, 2, random_state=0, data_dir=tmp_path)
    again, same = fit_or_load("pca", shared, 2, random_state=0, data_dir=tmp_path)
    assert same == path and np.array_equal(again.transform(subset), model.transform(subset))
    others = {
        fit_or_load("pca", shared, 2, random_state=1, data_dir=tmp_path)[1],
        fit_or_load("pca", shared, 3, random_state=0, data_dir=tmp_path)[1],
        fit_or_load("nmf", shared, 2, random_state=0, data_dir=tmp_path)[1],
        fit_or_load("pca", schaefer.select_genes(shared.genes[1:]), 2, data_dir=tmp_path)[1],
    }
    edited = shared.select_genes(shared.genes)
    edited.expression[0, 0] += 0.01  # the same genes, one value edited
    others.add(fit_or_load("pca", edited, 2, random_state=0, data_dir=tmp_path)[1])
    assert path not in others and len(others) == 5
    assert "/" not in path.name and path.parent == tmp_path / "models"


def test_a_saved_dataset_of_other_content_is_never_replaced_without_overwrite(dk83, tmp_path):
    first = dk83.select_genes(dk83.genes[:50])
    ct.save_dataset(first, "mine", data_dir=tmp_path)
    ct.save_dataset(first, "mine", data_dir=tmp_path)  # the same again: fine
    other = dk83.select_genes(dk83.genes[50:90])
    with pytest.raises(
        FileExistsError,
        match=r"A different dataset is saved as 'mine'.*"
        r"overwrite=True",
    ):
        ct.save_dataset(other, "mine", data_dir=tmp_path)
    assert ct.load_dataset("mine", data_dir=tmp_path).n_genes == 50  # untouched
    ct.save_dataset(other, "mine", data_dir=tmp_path, overwrite=True)
    assert ct.load_dataset("mine", data_dir=tmp_path).n_genes == 40


def test_latent_maps_of_another_run_are_never_replaced_without_overwrite(dk83, tmp_path):
    codes = np.column_stack([np.arange(83.0), np.ones(83)])
    paths = save_latent_maps(dk83, codes, tmp_path, name="pca-k2", provenance={"seed": 0})
    before = paths["csv"].read_bytes()
    save_latent_maps(dk83, codes, tmp_path, name="pca-k2", provenance={"seed": 0})  # same
    with pytest.raises(FileExistsError, match="latent maps of another run.*overwrite=True"):
        save_latent_maps(dk83, codes * 2, tmp_path, name="pca-k2", provenance={"seed": 0})
    assert paths["csv"].read_bytes() == before
    save_latent_maps(
        dk83, codes * 2, tmp_path, name="pca-k2", provenance={"seed": 0}, overwrite=True
    )
    assert paths["csv"].read_bytes() != before


def test_a_dataset_name_comes_from_the_file_name():
    assert ct.dataset_name_from_path("/x/My LH (v2).csv") == "my-lh-v2"
    assert ct.dataset_name_from_path("lh.tsv.gz") == "lh"


def test_another_normalisation_and_uncovered_structures_are_said(schaefer, dk83):
    from ct_helpers.data.compatibility import (
        compatibility_notes,
        outside_range_share,
        uncovered_structures,
    )

    assert uncovered_structures(schaefer, dk83) == {"subcortex": 15}  # a cortical model
    assert uncovered_structures(dk83, schaefer) == {}
    assert outside_range_share(schaefer, schaefer) == 0.0
    z_scores = dk83.select_genes(dk83.genes)
    z_scores.expression[:] = (z_scores.expression - z_scores.expression.mean(axis=0)) / (
        z_scores.expression.std(axis=0) + 1e-6
    )
    assert outside_range_share(schaefer, z_scores) > 0.4  # z-scores are not 0..1
    notes = compatibility_notes(schaefer, z_scores)
    assert "outside the range ahba-schaefer100 has" in notes[0]
    assert notes[1].startswith("15 subcortex regions of ahba-dk83 lie where ahba-schaefer100")
    assert compatibility_notes(dk83, dk83) == []
