"""Verdict logic of Chapters 3 and 5, on small tables where the answer is known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ct_helpers.evaluation.training_report import shows_overfitting, training_summary
from ct_helpers.prediction.claims import (
    CLAIM_COLUMNS,
    claims_by_scheme,
    coordinates_verdict,
    prediction_claims,
    prediction_summary,
)
from ct_helpers.prediction.comparisons import compare_feature_sets, repeat_means
from ct_helpers.prediction.protocol import COORDINATES

PAPER = pd.Series(
    {"pca": 0.20, "kpca": 0.21, "nmf": 0.19, "tsne": 0.25, "umap": 0.26, "autoencoder": 0.30}
)
METHODS = list(PAPER.index)


def _table(
    means: dict,
    repeats: int = 8,
    noise: float = 0.002,
    seed: int = 0,
    readers=("ridge",),
    schemes=("spatial",),
) -> pd.DataFrame:
    """SYNTHETIC prediction table: each repeat's folds shift every feature set alike (sd 0.05)."""
    rng = np.random.default_rng(seed)
    luck = rng.normal(0, 0.05, repeats)
    rows = [
        (
            feature,
            target,
            reader,
            scheme,
            repeat,
            value + luck[repeat] + rng.normal(0, noise) + 0.1 * (target == "b"),
        )
        for feature, value in means.items()
        for target in "ab"
        for reader in readers
        for scheme in schemes
        for repeat in range(repeats)
    ]
    return pd.DataFrame(rows, columns=["features", "target", "regressor", "cv", "repeat", "r2"])


def test_every_claim_holds_when_the_data_agree_with_the_paper():
    table = _table({**PAPER.to_dict(), "coordinates": 0.1, "all genes": 0.25})
    claims = prediction_claims(table, METHODS, PAPER)
    assert list(claims.columns) == CLAIM_COLUMNS
    assert claims["holds"].tolist() == ["yes"] * 5


def test_each_claim_fails_on_its_own_counter_example():
    ours = {
        "pca": 0.5,
        "kpca": 0.2,
        "nmf": 0.2,
        "tsne": 0.1,
        "umap": 0.6,
        "autoencoder": 0.3,
        "coordinates": 0.15,
        "all genes": 0.7,
    }
    verdicts = prediction_claims(_table(ours), METHODS, PAPER).set_index("claim")["holds"]
    assert verdicts["the auto-encoder has the highest mean R²"] == "no"  # umap is
    assert verdicts["the auto-encoder beats PCA"] == "no"
    assert verdicts["t-SNE and UMAP beat PCA, kernel PCA and NMF"] == "no"  # t-SNE 0.1 < PCA
    assert verdicts["(not in the paper) every method beats 3 coordinates"] == "no"  # t-SNE
    assert verdicts["(not in the paper) k codes keep what all genes predict"] == "no"


def test_differences_inside_the_noise_are_no_difference_though_the_means_order_them():
    ours = {
        **{m: 0.3 for m in METHODS},
        "autoencoder": 0.301,
        "tsne": 0.302,
        "umap": 0.302,
        "coordinates": 0.299,
        "all genes": 0.3,
    }
    table = _table(ours, noise=0.01)
    verdicts = prediction_claims(table, METHODS, PAPER)["holds"].tolist()
    assert verdicts == ["no difference"] * 5
    # the same differences over repeats that share their split's luck exactly are found
    exact = _table({**ours, "autoencoder": 0.33}, noise=1e-4)
    assert prediction_claims(exact, METHODS, PAPER)["holds"].tolist()[1] == "yes"


def test_comparisons_pair_repeats_by_their_number_and_correct_for_k_fold_overlap():
    table = _table({"pca": 0.3, "umap": 0.32, "coordinates": 0.1}, repeats=6, noise=0.005)
    result = compare_feature_sets(table, "pca", features=["umap"], n_splits=5).iloc[0]
    shuffled = table.sample(frac=1, random_state=1)
    again = compare_feature_sets(shuffled, "pca", features=["umap"], n_splits=5).iloc[0]
    assert again.difference == pytest.approx(result.difference)
    differences = repeat_means(table)["umap"] - repeat_means(table)["pca"]
    half = result.high - result.difference
    t = stats.t.ppf(0.975, 5)  # (1/J + K n_test/n_train) s², K = 5, n_test/n_train = 1/4
    assert half == pytest.approx(t * np.sqrt((1 / 6 + 5 / 4) * differences.var(ddof=1)))


def test_claims_about_absent_methods_are_skipped_and_missing_values_refused():
    table = _table({"pca": 0.3, "coordinates": 0.1})
    assert prediction_claims(table, ["pca"], PAPER)["claim"].tolist() == [
        "(not in the paper) every method beats 3 coordinates"
    ]
    with pytest.raises(ValueError, match="no \\['nmf'\\]"):
        prediction_claims(table, ["pca", "nmf"], PAPER)
    with pytest.raises(ValueError, match="two repeats"):
        prediction_claims(_table({"pca": 0.3, "coordinates": 0.1}, repeats=1), ["pca"], PAPER)
    uneven = table[~((table.features == "pca") & (table.repeat == 0) & (table.target == "a"))]
    with pytest.raises(ValueError, match="same targets"):
        prediction_claims(uneven, ["pca"], PAPER)


def test_claims_by_scheme_read_ridge_and_the_nested_reader_never_the_best_of_readers():
    table = _table(
        {"pca": 0.3, "coordinates": 0.4}, readers=("ridge",), schemes=("random", "spatial")
    )
    nested = _table(
        {"pca": 0.5, "coordinates": 0.2}, readers=("nested",), schemes=("random", "spatial")
    )
    knn = _table({"pca": 0.9, "coordinates": 0.1}, readers=("knn",), schemes=("spatial",))
    claims = claims_by_scheme(
        pd.concat([table, nested, knn]), ["pca"], PAPER, ["random", "spatial"]
    )
    assert claims[["cv", "read out by", "holds"]].values.tolist() == [
        ["random", "ridge", "no"],
        ["random", "nested", "yes"],
        ["spatial", "ridge", "no"],
        ["spatial", "nested", "yes"],
    ]


def test_coordinates_verdict_in_words():
    table = _table({"pca": 0.3, "umap": 0.6, "coordinates": 0.7})
    assert coordinates_verdict(compare_feature_sets(table, COORDINATES)) == "above every method"
    table = _table({"pca": 0.3, "umap": 0.6, "coordinates": 0.1})
    assert coordinates_verdict(compare_feature_sets(table, COORDINATES)) == "below every method"
    table = _table({"pca": 0.3, "umap": 0.6, "coordinates": 0.6}, noise=0.01)
    verdict = coordinates_verdict(compare_feature_sets(table, COORDINATES))
    assert verdict == "above 1, tied with 1 and below 0 of the 2 methods"


def test_overfitting_needs_validation_up_and_training_down():
    row = {
        "validation loss at last epoch": 2.0,
        "validation loss at restored epoch": 1.0,
        "training loss at last epoch": 0.5,
        "training loss at restored epoch": 1.0,
    }
    assert shows_overfitting(pd.Series(row))
    assert not shows_overfitting(pd.Series({**row, "training loss at last epoch": 1.5}))
    assert not shows_overfitting(pd.Series({**row, "validation loss at last epoch": 1.0}))


def test_training_summary_reads_the_restored_epoch_from_the_history():
    class Fitted:  # the attributes a fitted AutoEncoderCompressor has
        history_ = pd.DataFrame(
            {
                "epoch": [0, 1, 2],
                "train_loss": [3.0, 2.0, 1.0],
                "validation_loss": [3.0, 1.5, 2.5],
                "seconds": [1.0] * 3,
            }
        )
        best_epoch_, stopped_early_, device_ = 1, False, "cpu"
        validation_rows_ = np.arange(4)

    summary = training_summary(Fitted(), 40)
    assert summary["restored epoch"] == 2 and summary["training samples"] == 36
    assert summary["validation loss at restored epoch"] == 1.5
    assert shows_overfitting(summary)


def test_the_prediction_summary_states_means_with_intervals_for_both_readers():
    ridge = _table({"pca": 0.3, "umap": 0.5, "coordinates": 0.4, "all genes": 0.45})
    nested = _table({"pca": 0.35, "umap": 0.6, "coordinates": 0.2}, readers=("nested",))
    summary = prediction_summary(pd.concat([ridge, nested]), ["pca", "umap"])
    assert summary["repeats"] == 8
    assert summary["ranking_text"].startswith("umap 0.")
    assert summary["ranking_text"].count("(") == 2 and " to " in summary["ranking_text"]
    assert summary["coordinates_verdict"] == "above 1, tied with 0 and below 1 of the 2 methods"
    assert summary["coordinates_verdict_nested"] == "below every method"
    assert summary["all_genes_r2"] == pytest.approx(ridge[ridge.features == "all genes"].r2.mean())
    alone = prediction_summary(ridge, ["pca", "umap"])
    assert alone["nested_ranking_text"].startswith("not scored") and alone.keys() == summary.keys()
    assert summary["published_text"].startswith("0.356 for autoencoder")
    claims = pd.DataFrame({"holds": ["yes", "no", "no difference", "no difference"]})
    counted = prediction_summary(ridge, ["pca", "umap"], claims=claims)
    assert (counted["n_claims_hold"], counted["n_claims_tied"], counted["n_claims"]) == (1, 2, 4)
    with pytest.raises(ValueError, match="'holds' column"):
        prediction_summary(ridge, ["pca", "umap"], claims=claims.rename(columns=str.upper))
