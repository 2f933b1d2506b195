"""Paired differences over repeats: intervals that cover, verdicts that can say "no difference"."""

import numpy as np
import pandas as pd
import pytest

from ct_helpers.evaluation.paired import (
    best_by_k,
    compare_methods,
    mean_interval,
    paired_difference,
)
from ct_helpers.evaluation.reconstruction_claims import reconstruction_claims

COLUMNS = ["method", "k", "split", "seed", "part", "metric", "value", "status"]


def sweep_like(values: dict, seeds=range(10), luck=0.01, noise=0.0005, random_state=0):
    """A SYNTHETIC sweep table: (method, k) -> true RMSE; each seed's split shifts all alike."""
    rng = np.random.default_rng(random_state)
    rows = []
    for seed in seeds:
        shift = rng.normal(0, luck)  # the split's luck, shared by every method of this seed
        for (method, k), value in values.items():
            part = {"training mean": "baseline", "coordinates": "knn"}.get(method, "native")
            rows.append(
                (
                    method,
                    k,
                    "random",
                    seed,
                    part,
                    "rmse",
                    value + shift + rng.normal(0, noise),
                    "ok",
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def test_a_known_difference_is_found_though_the_splits_vary_ten_times_more():
    table = sweep_like({("pca", 2): 0.100, ("autoencoder", 2): 0.098}, luck=0.02)  # 0.002 apart
    result = compare_methods(table, "pca", methods=["autoencoder"]).iloc[0]
    assert result["verdict"] == "lower" and result["repeats"] == 10
    assert result["low"] < -0.002 < result["high"] < 0
    # unpaired, the splits' luck (0.02) would swamp it: the means' intervals overlap
    means = table.groupby("method")["value"].apply(lambda v: mean_interval(v)[1:])
    assert means["autoencoder"][1] > means["pca"][0]


def test_a_null_difference_is_called_no_difference():
    table = sweep_like({("pca", 2): 0.1, ("nmf", 2): 0.1})
    assert compare_methods(table, "pca")["verdict"].tolist() == ["no difference"]


@pytest.mark.parametrize("test_fraction", [None, 0.2])
def test_intervals_cover_a_true_difference_of_zero_at_their_nominal_rate(test_fraction):
    rng = np.random.default_rng(1)
    hits = [
        paired_difference(
            rng.normal(0, 1, 10), rng.normal(0, 1, 10), test_fraction=test_fraction
        ).verdict
        == "no difference"
        for _ in range(4000)
    ]
    coverage = float(np.mean(hits))
    if test_fraction is None:  # independent repeats: the t interval is exact
        assert 0.94 < coverage < 0.96, coverage
    else:  # the overlap correction only widens it
        assert coverage > 0.96, coverage


def test_the_overlap_correction_widens_the_interval_by_the_stated_factor():
    values = np.array([0.1, 0.3, 0.2, 0.4, 0.0])
    mean, low, high = mean_interval(values, test_fraction=None)
    _, low_c, high_c = mean_interval(values, test_fraction=0.2)
    factor = np.sqrt((1 / 5 + 0.25) / (1 / 5))  # Nadeau and Bengio: 1/J + n_test/n_train
    assert (high_c - mean) == pytest.approx(factor * (high - mean))
    assert mean == pytest.approx(0.2)
    # repeated 5-fold CV scored once per repeat: the overlap term counts each repeat's 5 folds
    _, _, high_k = mean_interval(values, test_fraction=0.2, folds_per_repeat=5)
    assert (high_k - mean) == pytest.approx(np.sqrt((1 / 5 + 5 * 0.25) / (1 / 5)) * (high - mean))
    with pytest.raises(ValueError, match="folds_per_repeat"):
        mean_interval(values, folds_per_repeat=0)


def test_repeats_are_paired_by_seed_not_by_row_order():
    table = sweep_like({("pca", 2): 0.1, ("autoencoder", 2): 0.099}, noise=0)
    shuffled = table.sample(frac=1, random_state=0)
    a = compare_methods(table, "pca").iloc[0]
    b = compare_methods(shuffled, "pca").iloc[0]
    assert a["verdict"] == b["verdict"] == "lower" and a["high"] == pytest.approx(b["high"])


def test_only_seeds_both_sides_have_are_paired():
    table = sweep_like({("pca", 2): 0.1, ("autoencoder", 2): 0.09})
    few = table[(table["method"] == "pca") | (table["seed"] < 3)]  # the auto-encoder: 3 seeds
    assert compare_methods(few, "pca")["repeats"].tolist() == [3]
    one = table[(table["method"] == "pca") | (table["seed"] < 1)]
    assert compare_methods(one, "pca").empty  # one pair gives no interval


def test_references_of_the_sweep_are_compared_at_every_k():
    table = sweep_like({("pca", 2): 0.10, ("pca", 4): 0.08, ("training mean", 0): 0.2})
    result = compare_methods(table, "training mean")
    assert result["k"].tolist() == [2, 4] and (result["verdict"] == "lower").all()
    with pytest.raises(ValueError, match="'coordinates'"):
        compare_methods(table, "coordinates")
    with pytest.raises(ValueError, match=r"\['umap'\]"):
        compare_methods(table, "pca", methods=["umap"])


def test_bad_repeats_are_refused_by_name():
    with pytest.raises(ValueError, match="at least two repeats"):
        mean_interval([0.1])
    with pytest.raises(ValueError, match=r"Repeats \[1\] are not finite"):
        mean_interval([0.1, np.nan, 0.2])
    with pytest.raises(ValueError, match="differ in number"):
        paired_difference([0.1, 0.2], [0.1, 0.2, 0.3])


def test_the_best_method_is_named_only_when_no_interval_ties_it():
    table = sweep_like(
        {
            ("pca", 2): 0.100,
            ("kpca", 2): 0.1001,
            ("nmf", 2): 0.12,
            ("pca", 4): 0.080,
            ("kpca", 4): 0.0900,
        }
    )
    best = best_by_k(table).set_index("k")
    assert best.loc[2, "lowest"] in {"pca", "kpca"} and pd.isna(best.loc[2, "best"])
    assert set(best.loc[2, "tied"]) == {"pca", "kpca"} - {best.loc[2, "lowest"]}
    assert best.loc[4, "best"] == "pca" and best.loc[4, "tied"] == ()


def test_claims_say_yes_no_or_no_difference_from_the_intervals():
    wins = sweep_like(
        {
            ("pca", 2): 0.10,
            ("autoencoder", 2): 0.09,
            ("pca", 4): 0.08,
            ("autoencoder", 4): 0.07,
            ("training mean", 0): 0.2,
        }
    )
    assert reconstruction_claims(wins)["holds"].tolist() == ["yes", "yes"]
    tie = sweep_like(
        {
            ("pca", 2): 0.10,
            ("autoencoder", 2): 0.09,
            ("pca", 4): 0.08,
            ("autoencoder", 4): 0.08,
            ("training mean", 0): 0.2,
        }
    )
    claims = reconstruction_claims(tie)
    assert claims["holds"].tolist() == ["no difference", "no difference"]
    assert claims["here"].tolist()[1] == "lower at 1 of 2 sizes, higher at 0, no difference at 1"
    loses = sweep_like({("pca", 2): 0.10, ("autoencoder", 2): 0.12, ("training mean", 0): 0.2})
    assert reconstruction_claims(loses)["holds"].tolist() == ["no", "no"]


def test_the_t_sne_claim_compares_its_decoder_with_the_training_mean():
    table = sweep_like({("training mean", 0): 0.2, ("tsne", 2): 0.15})
    table.loc[table["method"] == "tsne", "part"] = "decoder"
    claims = reconstruction_claims(table)
    assert claims["claim"].tolist() == ["t-SNE cannot be reconstructed"]
    assert claims["holds"].tolist() == ["no"] and "10 repeats" in claims["here"].iloc[0]


def test_the_summary_names_reconstructions_worse_than_the_training_mean():
    from ct_helpers.evaluation.reconstruction_claims import reconstruction_summary

    table = sweep_like(
        {("pca", 2): 0.10, ("umap", 8): 0.25, ("autoencoder", 2): 0.11, ("training mean", 0): 0.2}
    )
    summary = reconstruction_summary(table)
    assert summary["worse_than_mean"] == "umap k = 8 (native)"
    assert summary["repeats"] == 10 and summary["autoencoder_repeats"] == 10
    assert summary["ae_vs_pca"] == "lower at 0 of 1 sizes, higher at 1 and not different at 0"
    assert summary["winners_text"] == "k = 2: pca; k = 8: umap"


def test_a_ranking_orders_by_the_mean_and_gives_each_its_interval():
    from ct_helpers.evaluation.paired_text import ranking_text

    table = sweep_like({("pca", 2): 0.3, ("umap", 2): 0.5, ("tsne", 2): 0.4})
    table["part"], table["metric"] = "codes", "ami"
    text = ranking_text(table, "ami", 2)
    assert [part.split()[0] for part in text.split(", ")] == ["umap", "tsne", "pca"]
    mean, low, high = mean_interval(table.loc[table["method"] == "umap", "value"])
    assert text.startswith(f"umap {mean:.2f} ({low:.2f} to {high:.2f})")
    one = table[table["seed"] == 0]
    assert ranking_text(one, "ami", 2) == ", ".join(
        f"{m} {v:.2f}"
        for m, v in one.set_index("method")["value"].sort_values(ascending=False).items()
    )


def test_a_ranking_ends_with_the_coordinates_own_score_when_the_sweep_has_it():
    from ct_helpers.evaluation.paired_text import ranking_text

    table = sweep_like({("pca", 2): 0.3, ("umap", 2): 0.5})
    table["part"], table["metric"] = "codes", "ami"
    null = sweep_like({("coordinates", 3): 0.45})
    null["part"], null["metric"] = "coordinates as codes", "ami"
    text = ranking_text(pd.concat([table, null]), "ami", 2)
    mean, low, high = mean_interval(null["value"])
    assert text.endswith(
        f", pca {text.split('pca ')[1].split(' (x')[0]} "
        f"(x, y, z as the code {mean:.2f} ({low:.2f} to {high:.2f}))"
    )
    assert text.startswith("umap")


def test_a_claim_holds_only_when_every_comparison_goes_its_way():
    from ct_helpers.evaluation.reconstruction_claims import claim_holds

    assert claim_holds(["lower", "lower"], "lower") == "yes"
    assert claim_holds(["lower", "no difference"], "lower") == "no difference"
    assert claim_holds(["lower", "higher", "no difference"], "lower") == "no"  # one against
    assert claim_holds([], "higher") == "no difference"  # nothing compared proves nothing
    with pytest.raises(ValueError, match="'lower' or 'higher'"):
        claim_holds(["lower"], "no difference")


def test_the_sweep_glue_states_references_and_both_splits_from_the_seed_means():
    from ct_helpers.evaluation.sweep_summary import sweep_glue

    values = {("pca", 2): 0.10, ("coordinates", 3): 0.12, ("training mean", 0): 0.14}
    rmse = pd.concat(
        [
            sweep_like(values, seeds=range(4)),
            sweep_like(values, seeds=range(4), random_state=1).assign(split="spatial"),
        ]
    )
    r2 = rmse.assign(metric="r2", value=1 - rmse["value"] * 5)  # SYNTHETIC: a 0.10 RMSE is 0.5
    spatial_pca = (r2["split"] == "spatial") & (r2["method"] == "pca")
    r2.loc[spatial_pca, "value"] -= 0.2  # the blocked split is harder for the codes
    table = pd.concat([rmse, r2], ignore_index=True)
    references = pd.DataFrame(
        {
            "split": ["random", "random", "spatial"],
            "vs coordinates": ["lower", "no difference", "lower"],
        }
    )
    glued = sweep_glue(table, references, test_fraction=0.2)
    assert glued["beats_coordinates"] == "1 of 2"  # the random split's rows only
    mean_of = lambda frame: float(frame["value"].mean())  # noqa: E731
    random_rmse = rmse[rmse["split"] == "random"]
    assert glued["coordinates_rmse"] == pytest.approx(
        mean_of(random_rmse[random_rmse["method"] == "coordinates"])
    )
    assert glued["mean_rmse"] == pytest.approx(
        mean_of(random_rmse[random_rmse["method"] == "training mean"])
    )
    pca_r2 = r2[r2["method"] == "pca"]
    assert glued["random_r2_median"] == pytest.approx(mean_of(pca_r2[pca_r2["split"] == "random"]))
    assert glued["spatial_r2_median"] == pytest.approx(
        mean_of(pca_r2[pca_r2["split"] == "spatial"])
    )
    assert glued["spatial_lower_share"] == "1 of 1"
    coords_r2 = r2[r2["method"] == "coordinates"]
    assert glued["coordinates_r2_spatial"] == pytest.approx(
        mean_of(coords_r2[coords_r2["split"] == "spatial"])
    )
    assert glued["repeats"] == 4  # reconstruction_summary's keys come along
    assert "coordinates_decoder_rmse" not in glued  # this sweep scored no position decoder
    decoder = rmse[rmse["method"] == "coordinates"].assign(part="position decoder", value=0.125)
    with_decoder = sweep_glue(pd.concat([table, decoder]), references)
    assert with_decoder["coordinates_decoder_rmse"] == pytest.approx(0.125)
    one_split = sweep_glue(table[table["split"] == "random"], references)
    assert "spatial_lower_share" not in one_split and one_split["beats_coordinates"] == "1 of 2"
