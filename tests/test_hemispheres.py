"""What tells the hemispheres apart: mirrored pairs, the shared shift, and donors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from ct_helpers.data.donors import DonorExpression
from ct_helpers.data.synthetic import make_synthetic_expression
from ct_helpers.evaluation import hemispheres as H
from ct_helpers.evaluation.buffers import sample_spacing


def test_real_parcels_pair_with_their_mirror_image(schaefer):
    sides = H.hemisphere_labels(schaefer)
    pairs = H.mirror_pairs(schaefer.coords, sides)
    assert len(pairs) >= 45  # of 50 left and 49 right parcels
    assert (sides[pairs[:, 0]] == "L").all() and (sides[pairs[:, 1]] == "R").all()
    assert len(np.unique(pairs[:, 0])) == len(pairs) == len(np.unique(pairs[:, 1]))
    mirrored = schaefer.coords[pairs[:, 1]] * [-1, 1, 1]
    gaps = np.linalg.norm(schaefer.coords[pairs[:, 0]] - mirrored, axis=1)
    assert np.median(gaps) < sample_spacing(schaefer.coords)
    with pytest.raises(ValueError, match="both hemispheres; found 50 left and 0 right"):
        H.mirror_pairs(schaefer.coords, np.where(sides == "R", "", sides))


def _mirrored_samples(n: int = 40, seed: int = 0):
    """SYNTHETIC samples: n on the left and their exact mirror images on the right."""
    rng = np.random.default_rng(seed)
    left = np.c_[rng.uniform(-60, -10, n), rng.normal(0, 20, (n, 2))]
    return rng, np.vstack([left, left * [-1, 1, 1]]), np.repeat(["L", "R"], n)


def test_a_shared_shift_is_found_and_named_and_symmetric_codes_give_none():
    rng, coords, sides = _mirrored_samples()
    region = rng.normal(size=(40, 4))  # what each mirrored pair shares
    symmetric = np.vstack([region, region]) + rng.normal(0, 0.3, (80, 4))
    none = H.hemisphere_signal(symmetric, coords, sides, n_swaps=39, n_flips=199)
    assert none.pairs == 40 and none.accuracy_p >= 0.05
    assert none.verdict.startswith("no hemisphere signal")
    shifted = symmetric + (sides == "R")[:, None] * [0, 0, 4.0, 0]  # the right side moved
    found = H.hemisphere_signal(shifted, coords, sides, n_swaps=39, n_flips=199)
    assert found.accuracy > 0.9 and found.accuracy_p <= 1 / 40
    assert found.shift_p < 0.01 and found.strongest_dimensions[0] == 2
    assert found.verdict.startswith(
        "a shift shared by the mirrored pairs, strongest in dimensions 3"
    )


def test_the_verdict_tells_region_specific_differences_from_a_shift():
    signal = H.HemisphereSignal(
        pairs=40,
        accuracy=0.8,
        chance=0.5,
        swapped_accuracy=0.5,
        accuracy_p=0.01,
        shift_share=0.03,
        flipped_share=0.03,
        shift_p=0.4,
    )
    assert signal.verdict.startswith("differences that vary between regions")


def _donors(lateralised: bool) -> tuple[DonorExpression, np.ndarray]:
    """SYNTHETIC AHBA-like donors: two sampled on both sides, four on the left only.

    Every donor carries its own offset (its individuality and batch); the
    aggregated matrix averages the donors with data on each row, as abagen
    does, so the right hemisphere averages only the first two donors.
    ``lateralised`` adds a right-hemisphere shift to every donor.
    """
    data = make_synthetic_expression(n_genes=50, resolution=16, random_state=0)  # SYNTHETIC
    sides = H.hemisphere_labels(data)
    rng = np.random.default_rng(1)
    brain = np.asarray(data.expression, dtype=np.float64)
    mirror = np.abs(data.coords[:, :1]) / 50  # a pattern symmetric between hemispheres
    brain = brain + mirror @ rng.normal(size=(1, 50))
    expression, counts = {}, {}
    for index, donor in enumerate(["d1", "d2", "d3", "d4", "d5", "d6"]):
        values = brain + rng.normal(0, 1.5, 50) + rng.normal(0, 0.3, brain.shape)
        if lateralised:
            values = values + (sides == "R")[:, None] * np.linspace(0, 1, 50)
        sampled = np.ones(len(sides), bool) if index < 2 else sides == "L"
        values[~sampled] = np.nan
        expression[donor] = values.astype(np.float32)
        counts[donor] = sampled.astype(np.int64)
    data.expression = np.nanmean(np.stack(list(expression.values())), axis=0).astype(np.float32)
    return DonorExpression(dataset=data, expression=expression, counts=counts), sides


@pytest.mark.parametrize("lateralised", [False, True])
def test_within_one_donor_the_donor_mix_cannot_tell_the_hemispheres_apart(lateralised):
    donors, sides = _donors(lateralised)
    pca = PCA(8, random_state=0).fit(donors.dataset.expression)
    codes = pca.transform(donors.dataset.expression)
    aggregated = H.hemisphere_signal(codes, donors.dataset.coords, sides, n_swaps=39)
    assert aggregated.accuracy > 0.9 and aggregated.accuracy_p <= 1 / 40  # either way
    table = H.hemisphere_accuracy_within_donors(donors, pca.transform)
    assert table["donor"].tolist() == ["d1", "d2"]
    assert set(table.attrs["left_out"]) == {"d3", "d4", "d5", "d6"}
    assert "0 right rows" in table.attrs["left_out"]["d3"]
    if lateralised:  # a real asymmetry shows within each donor too
        assert (table["accuracy"] > 0.9).all()
    else:  # only the donor mix differed: within a donor, no better than chance
        assert (table["accuracy"] < table["chance"] + 0.15).all()


def test_a_dataset_on_one_hemisphere_is_skipped_with_the_reason():
    data = make_synthetic_expression(n_genes=5, resolution=20, random_state=0)  # SYNTHETIC
    data.sample_info["hemisphere"] = "L"
    table = H.hemisphere_signals({"genes": data.expression}, data, n_swaps=9, n_flips=9)
    assert table.empty
    assert "both hemispheres; found" in table.attrs["skipped"]
    assert "0 right" in table.attrs["skipped"]
