"""The paper's claims about reconstruction, judged on the numbers computed here (Chapter 4).

Same shape as Chapter 5's (:mod:`ct_helpers.prediction.claims`): context columns,
then ``claim``, ``paper`` (what the paper reports), ``here`` (what these data
give) and ``holds``. Every comparison is paired over the sweep's seeds, each
seed drawing its own split (:mod:`ct_helpers.evaluation.paired`), so a verdict
rests on a difference and its 95 % interval, never on one split's point
estimate: ``holds`` is ``"yes"``, ``"no"`` or ``"no difference"`` (an interval
covers 0 where the claim needs a difference).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .paired import VERDICTS, best_by_k, compare_methods

#: Columns of a reconstruction claims table.
CLAIM_COLUMNS = ["split", "reconstruction", "claim", "paper", "here", "holds"]
#: Values of the ``holds`` column.
HOLDS = ("yes", "no", "no difference")


def claim_holds(verdicts: Sequence[str], claimed: str) -> str:
    """Whether a claim that needs every comparison to go one way holds: yes, no, no difference.

    ``verdicts`` are paired verdicts (:data:`VERDICTS`); ``claimed`` the one
    the claim needs (``"lower"`` or ``"higher"``). ``"yes"`` when every
    verdict is ``claimed``, ``"no"`` when any goes the other way, else
    ``"no difference"`` (an interval covers 0 and none contradicts).

    Examples
    --------
    >>> [claim_holds(v, "higher") for v in (["higher"], ["higher", "lower"],
    ...                                     ["higher", "no difference"])]
    ['yes', 'no', 'no difference']
    """
    if claimed not in ("lower", "higher"):
        raise ValueError(f"A claim needs 'lower' or 'higher', not {claimed!r}.")
    if verdicts and all(verdict == claimed for verdict in verdicts):
        return "yes"
    against = "higher" if claimed == "lower" else "lower"
    return "no" if against in verdicts else "no difference"


def _sizes(ks) -> str:
    ks = sorted(int(k) for k in ks)
    return "k = " + ", ".join(map(str, ks)) if ks else "no k"


def _autoencoder_standing(table: pd.DataFrame, settings: dict) -> dict:
    """Where the auto-encoder stands at each of its k: alone in the lead, tied, behind; vs PCA."""
    natives = table[(table["part"] == "native") & (table["split"] == settings["split"])]
    best = best_by_k(table, part="native", **settings)
    best = best[best["k"].isin(natives.loc[natives["method"] == "autoencoder", "k"])]
    alone = best.loc[best["best"] == "autoencoder", "k"].tolist()
    tied = best.loc[(best["lowest"] == "autoencoder") & best["best"].isna(), "k"].tolist()
    tied += best.loc[best["tied"].map(lambda t: "autoencoder" in t), "k"].tolist()
    versus = compare_methods(table, "pca", part="native", methods=["autoencoder"], **settings)
    counts = versus["verdict"].value_counts()
    return {
        "sizes": len(best),
        "alone": alone,
        "tied": tied,
        "behind": sorted(set(best["k"]) - set(alone) - set(tied)),
        "compared": len(versus),
        "verdicts": versus["verdict"].tolist(),
        **{v: int(counts.get(v, 0)) for v in VERDICTS},
    }


def reconstruction_claims(
    table: pd.DataFrame,
    split: str = "random",
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
) -> pd.DataFrame:
    """Verdicts on the paper's reconstruction claims from a sweep table with several seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`~ct_helpers.evaluation.sweep.run_sweep`) with at
        least two seeds; comparisons pair each method's seeds with PCA's.
    split : str
        The split judged (the paper's was random).
    confidence, test_fraction
        Of the paired intervals (:func:`~ct_helpers.evaluation.paired.mean_interval`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLAIM_COLUMNS`; ``holds`` is one of :data:`HOLDS`.

    Examples
    --------
    >>> rows = [(m, 2, s, "native", v + s / 100) for s in range(4)
    ...         for m, v in (("pca", 0.10), ("autoencoder", 0.09))]  # SYNTHETIC
    >>> rows += [("training mean", 0, s, "baseline", 0.2 + s / 100) for s in range(4)]
    >>> table = pd.DataFrame([(m, k, "random", s, p, "rmse", v, "ok") for m, k, s, p, v in rows],
    ...                      columns=["method", "k", "split", "seed", "part", "metric",
    ...                               "value", "status"])
    >>> reconstruction_claims(table)["holds"].tolist()
    ['yes', 'yes']
    """
    settings = {"split": split, "confidence": confidence, "test_fraction": test_fraction}
    level = f"{100 * confidence:g} %"
    rows = []
    natives = table[(table["part"] == "native") & (table["split"] == split)]
    if {"autoencoder", "pca"} <= set(natives["method"]):
        ae = _autoencoder_standing(table, settings)
        alone, behind = ae["alone"], ae["behind"]
        holds = "yes" if len(alone) == ae["sizes"] else ("no" if behind else "no difference")
        rows.append(
            [
                split,
                "native",
                "the auto-encoder reconstructs held-out data best at every k",
                "lowest RMSE at every k (4 mm voxels)",
                f"best at {len(alone)} of {ae['sizes']} sizes; tied for lowest at "
                f"{_sizes(ae['tied'])}; behind at {_sizes(behind)} ({level} paired "
                "intervals)",
                holds,
            ]
        )
        n_lower, n_higher = ae["lower"], ae["higher"]
        if ae["compared"]:
            holds = claim_holds(ae["verdicts"], "lower")
            rows.append(
                [
                    split,
                    "native",
                    "the auto-encoder beats PCA at every k",
                    "lower RMSE than PCA at every k",
                    f"lower at {n_lower} of {ae['compared']} sizes, higher at {n_higher}, "
                    f"no difference at {ae['no difference']}",
                    holds,
                ]
            )
    decoded = table[(table["part"] == "decoder") & (table["method"] == "tsne")]
    if (decoded["k"] == 2).any() and (table["method"] == "training mean").any():
        versus = compare_methods(
            table, "training mean", part="decoder", methods=["tsne"], **settings
        )
        versus = versus[versus["k"] == 2]
        if len(versus):
            result = versus.iloc[0]
            verdict = claim_holds([result["verdict"]], "higher")
            rows.append(
                [
                    split,
                    "decoder",
                    "t-SNE cannot be reconstructed",
                    "no inverse, so no reconstruction",
                    f"learned decoder at k = 2 minus the training mean: held-out RMSE "
                    f"{result['difference']:+.4f} ({level} CI {result['low']:+.4f} to "
                    f"{result['high']:+.4f}, {result['repeats']} repeats)",
                    verdict,
                ]
            )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def reconstruction_summary(
    table: pd.DataFrame,
    split: str = "random",
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
) -> dict[str, str | int]:
    """Chapter 4's sentences about which method reconstructs best, from paired intervals.

    Returns
    -------
    dict
        ``winners_text`` (per k the lowest method, with the methods no
        interval separates from it), ``ae_best`` (``"a of n"`` sizes at which
        the auto-encoder alone is lowest), ``ae_vs_pca`` (at how many sizes
        the auto-encoder's native RMSE is lower than PCA's, higher, or not
        different), ``worse_than_mean`` (every method, k and reconstruction
        whose RMSE is above the training mean's with an interval above 0, or
        ``"none"``), ``repeats`` and ``autoencoder_repeats`` (seeds per method).

    Examples
    --------
    >>> rows = [(m, 2, s, v + s / 100) for s in range(4)
    ...         for m, v in (("pca", 0.10), ("autoencoder", 0.09))]  # SYNTHETIC
    >>> table = pd.DataFrame([(m, k, "random", s, "native", "rmse", v, "ok")
    ...                       for m, k, s, v in rows], columns=["method", "k", "split",
    ...                       "seed", "part", "metric", "value", "status"])
    >>> reconstruction_summary(table)["winners_text"]
    'k = 2: autoencoder'
    """
    settings = {"split": split, "confidence": confidence, "test_fraction": test_fraction}
    best = best_by_k(table, part="native", **settings)
    winners = [
        f"k = {row.k}: {row.lowest}" + (f" (tied: {', '.join(row.tied)})" if row.tied else "")
        for row in best.itertuples()
    ]
    natives = table[(table["part"] == "native") & (table["split"] == split)]
    seeds = natives.groupby("method")["seed"].nunique()
    summary: dict[str, str | int] = {
        "winners_text": "; ".join(winners),
        "repeats": int(seeds.drop("autoencoder", errors="ignore").max()) if len(seeds) else 0,
        "autoencoder_repeats": int(seeds.get("autoencoder", 0)),
    }
    worse = []
    if (table["method"] == "training mean").any():
        for part in ("native", "decoder"):
            versus = compare_methods(table, "training mean", part=part, **settings)
            worse += [
                f"{row.method} k = {row.k} ({part})"
                for row in versus[versus["verdict"] == "higher"].itertuples()
            ]
    summary["worse_than_mean"] = "; ".join(worse) if worse else "none"
    if {"autoencoder", "pca"} <= set(natives["method"]):
        ae = _autoencoder_standing(table, settings)
        summary["ae_best"] = f"{len(ae['alone'])} of {ae['sizes']}"
        summary["ae_vs_pca"] = (
            f"lower at {ae['lower']} of {ae['compared']} sizes, higher "
            f"at {ae['higher']} and not different at "
            f"{ae['no difference']}"
        )
    return summary


def claim_counts(claims: pd.DataFrame) -> dict[str, int]:
    """Count a claims table's statements: those that hold, those the intervals cannot tell.

    ``claims`` has a ``holds`` column of ``"yes"``, ``"no"`` and
    ``"no difference"`` (:func:`claim_holds`), as Chapter 4's and Chapter 5's.

    Examples
    --------
    >>> claim_counts(pd.DataFrame({"holds": ["yes", "no difference", "no", "no difference"]}))
    {'n_claims_hold': 1, 'n_claims_tied': 2, 'n_claims': 4}
    """
    if "holds" not in claims.columns:
        raise ValueError(f"A claims table has a 'holds' column; got {list(claims.columns)}.")
    holds = claims["holds"]
    return {
        "n_claims_hold": int((holds == "yes").sum()),
        "n_claims_tied": int((holds == "no difference").sum()),
        "n_claims": int(len(claims)),
    }
