"""Verdict logic of Chapters 3 and 5, on small tables where the answer is known."""

import numpy as np
import pandas as pd
import pytest

from ct_helpers.evaluation.training_report import shows_overfitting, training_summary
from ct_helpers.prediction.claims import (
    CLAIM_COLUMNS,
    claims_by_scheme,
    coordinates_verdict,
    prediction_claims,
)

PAPER = pd.Series({"pca": 0.20, "kpca": 0.21, "nmf": 0.19, "tsne": 0.25, "umap": 0.26,
                   "autoencoder": 0.30})  # fmt: skip
METHODS = list(PAPER.index)


def test_every_claim_holds_when_the_data_agree_with_the_paper():
    ours = pd.Series({**PAPER.to_dict(), "coordinates": 0.1, "all genes": 0.29})
    claims = prediction_claims(ours, METHODS, PAPER)
    assert list(claims.columns) == CLAIM_COLUMNS
    assert claims["holds"].tolist() == [True, True, True, True, True]


def test_each_claim_fails_on_its_own_counter_example():
    ours = pd.Series({"pca": 0.5, "kpca": 0.2, "nmf": 0.2, "tsne": 0.1, "umap": 0.6,
                      "autoencoder": 0.3, "coordinates": 0.15, "all genes": 0.7})  # fmt: skip
    verdicts = prediction_claims(ours, METHODS, PAPER).set_index("claim")["holds"]
    assert not verdicts["the auto-encoder has the highest mean R²"]  # umap is
    assert not verdicts["the auto-encoder beats PCA"]
    assert not verdicts["t-SNE and UMAP beat PCA, kernel PCA and NMF"]  # t-SNE 0.1 < PCA
    assert not verdicts["(not in the paper) every method beats 3 coordinates"]  # t-SNE
    assert not verdicts["(not in the paper) k codes keep what all genes predict"]


def test_claims_about_absent_methods_are_skipped_and_missing_values_refused():
    ours = pd.Series({"pca": 0.3, "coordinates": 0.1})
    assert prediction_claims(ours, ["pca"], PAPER)["claim"].tolist() == [
        "(not in the paper) every method beats 3 coordinates"
    ]
    with pytest.raises(ValueError, match="no value for the methods \\['nmf'\\]"):
        prediction_claims(ours, ["pca", "nmf"], PAPER)


def test_claims_by_scheme_reads_ridge_and_each_feature_sets_best_regressor():
    rows = [(cv, reg, feat, target, r2)
            for cv, shift in (("random", 0.1), ("spatial", 0.0))
            for reg, feat, r2 in (("ridge", "pca", 0.3), ("knn", "pca", 0.6),
                                  ("ridge", "coordinates", 0.4), ("knn", "coordinates", 0.5))
            for target, r2 in (("a", r2 + shift), ("b", r2 + shift))]  # fmt: skip
    table = pd.DataFrame(rows, columns=["cv", "regressor", "features", "target", "r2"])
    claims = claims_by_scheme(table, ["pca"], PAPER, ["random", "spatial"])
    assert claims[["cv", "read out by", "holds"]].values.tolist() == [
        ["random", "ridge", False],
        ["random", "best regressor", True],
        ["spatial", "ridge", False],
        ["spatial", "best regressor", True],
    ]


def test_coordinates_verdict_in_words():
    best = pd.Series({"pca": 0.3, "umap": 0.6})
    assert coordinates_verdict(best, 0.7) == "above every method's best"
    assert coordinates_verdict(best, 0.2) == "below every method's best"


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
