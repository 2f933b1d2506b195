"""Shared figure helpers."""

import numpy as np

from ct_helpers.plotting import GROUP_COLOURS, group_colours


def test_every_anatomical_scheme_gets_distinct_colours():
    schemes = [
        ["frontal", "parietal", "temporal", "occipital", "cingulate", "insula", "subcortex",
         "brainstem"],
        ["cortex", "subcortex", "brainstem"],
        ["Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default"],
    ]  # fmt: skip
    for names in schemes:
        colours = group_colours(names)
        assert list(colours) == names and len(set(colours.values())) == len(names), names


def test_unknown_group_names_never_reuse_a_colour_already_in_the_figure():
    names = ["frontal", "parietal"] + [f"region {i}" for i in range(15)]
    colours = group_colours(names)
    assert colours["frontal"] == GROUP_COLOURS["frontal"]
    assert len(set(colours.values())) == len(names)


def test_metric_by_k_draws_each_method_the_references_and_published_values():
    import matplotlib.pyplot as plt
    import pandas as pd

    from ct_helpers.plotting import plot_metric_by_k
    from ct_helpers.published import published_rmse

    rows = [("pca", k, "native", seed, 0.1 / k + seed * 0.01) for k in (2, 8) for seed in (0, 1)]
    rows += [("coordinates", 3, "knn", 0, 0.05), ("training mean", 0, "baseline", 0, 0.2)]
    table = pd.DataFrame([{"dataset": "SYNTHETIC", "method": m, "k": k, "split": "random",
                           "seed": s, "part": p, "metric": "rmse", "value": v, "status": "ok"}
                          for m, k, p, s, v in rows])  # fmt: skip
    fig, ax = plt.subplots()
    plot_metric_by_k(table, "rmse", "native", "random", ax, published=published_rmse())
    labels = [line.get_label() for line in ax.get_lines()]
    assert "pca" in labels and "published (4 mm, other data)" in labels
    assert "coordinates baseline (x, y, z; k-NN)" in labels
    pca = ax.get_lines()[labels.index("pca")]
    assert list(pca.get_xdata()) == [2, 8]
    np.testing.assert_allclose(pca.get_ydata(), [0.1 / 2 + 0.005, 0.1 / 8 + 0.005])  # seed mean
    assert ax.get_yscale() == "log"  # published values on another scale
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "8", "32", "128"]
    plt.close(fig)
