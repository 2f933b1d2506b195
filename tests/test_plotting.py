"""Shared figure helpers."""

import numpy as np
import pytest

from ct_helpers.plotting import GROUP_COLOURS, group_colours
from ct_helpers.prediction.maps import DOMAINS


def test_every_anatomical_scheme_gets_distinct_colours():
    schemes = [
        [
            "frontal",
            "parietal",
            "temporal",
            "occipital",
            "cingulate",
            "insula",
            "subcortex",
            "brainstem",
        ],
        ["cortex", "subcortex", "brainstem"],
        ["Vis", "SomMot", "DorsAttn", "SalVentAttn", "Limbic", "Cont", "Default"],
        list(DOMAINS),
    ]
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

    from ct_helpers.evaluation.published import published_rmse
    from ct_helpers.plotting import plot_metric_by_k

    rows = [("pca", k, "native", seed, 0.1 / k + seed * 0.01) for k in (2, 8) for seed in (0, 1)]
    rows += [("coordinates", 3, "knn", 0, 0.05), ("training mean", 0, "baseline", 0, 0.2)]
    table = pd.DataFrame(
        [
            {
                "dataset": "SYNTHETIC",
                "method": m,
                "k": k,
                "split": "random",
                "seed": s,
                "part": p,
                "metric": "rmse",
                "value": v,
                "status": "ok",
            }
            for m, k, p, s, v in rows
        ]
    )
    fig, ax = plt.subplots()
    plot_metric_by_k(table, "rmse", "native", "random", ax, published=published_rmse())
    labels = [line.get_label() for line in ax.get_lines()]
    assert "pca" in labels and "published (4 mm, other data)" in labels
    assert "coordinates baseline (x, y, z; k-NN)" in labels
    pca = ax.get_lines()[labels.index("pca")]
    assert list(pca.get_xdata()) == [2, 8]
    np.testing.assert_allclose(pca.get_ydata(), [0.1 / 2 + 0.005, 0.1 / 8 + 0.005])  # seed mean
    # the band is the mean's 95 % interval over the seeds (two: t = 12.7), not their range
    from ct_helpers.evaluation.paired import mean_interval

    vertices = ax.collections[0].get_paths()[0].vertices
    at_2 = vertices[vertices[:, 0] == 2, 1]
    np.testing.assert_allclose([at_2.min(), at_2.max()], mean_interval([0.05, 0.06])[1:])
    assert ax.get_yscale() == "log"  # published values on another scale
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "8", "32", "128"]
    plt.close(fig)


def _prediction_table():
    import pandas as pd

    rows = []
    for features, shift in (("pca", 0.0), ("autoencoder", 0.1)):
        for target, domain, r2, p in (
            ("a", "myelination", 0.6, 0.01),
            ("b", "morphology", 0.2, 0.3),
            ("c", "morphology", 0.4, 0.045),
        ):
            for cv, drop in (("random", 0.0), ("spatial", 0.1)):
                rows.append(
                    {
                        "features": features,
                        "target": target,
                        "domain": domain,
                        "regressor": "ridge",
                        "cv": cv,
                        "r2": r2 + shift - drop,
                        "p_spatial": p,
                    }
                )
    return pd.DataFrame(rows)  # SYNTHETIC scores


def test_domain_summary_plot_draws_every_target_and_the_means():
    import matplotlib.pyplot as plt

    from ct_helpers.plotting import plot_domain_summary

    fig, ax = plt.subplots()
    plot_domain_summary(_prediction_table(), ax=ax)
    dots = [c for c in ax.collections if c.get_offsets().shape[0] and c.get_label() != "_nolegend_"]
    n_points = sum(
        c.get_offsets().shape[0] for c in ax.collections if type(c).__name__ == "PathCollection"
    )
    assert n_points == 2 * 3 + 2  # every target of both feature sets, plus two overall means
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["myelination", "morphology", "mean over all targets"]
    assert dots and "FDR 0.05" in ax.get_title()
    solid = sum(len(c.get_offsets()) for c in ax.collections if c.get_alpha() == 1.0)
    assert solid == 2  # target a (p 0.01); c has p 0.045 < 0.05 but q 0.0675 over the 6 tests
    plt.close(fig)


def test_cv_comparison_plot_has_one_dot_per_feature_set_and_target():
    import matplotlib.pyplot as plt

    from ct_helpers.plotting import plot_cv_comparison

    fig, ax = plt.subplots()
    plot_cv_comparison(_prediction_table(), ax=ax)
    points = [c.get_offsets() for c in ax.collections]
    assert sum(len(p) for p in points) == 6
    np.testing.assert_allclose(
        sorted(np.concatenate(points)[:, 1] - np.concatenate(points)[:, 0]), [-0.1] * 6
    )
    plt.close(fig)


def test_validation_curves_draw_one_line_and_one_restored_dot_per_run():
    import matplotlib.pyplot as plt
    import pandas as pd

    from ct_helpers.plotting import plot_validation_curves

    class Run:
        def __init__(self, losses, best):
            self.history_ = pd.DataFrame({"epoch": range(len(losses)), "validation_loss": losses})
            self.best_epoch_ = best

    fig, ax = plt.subplots()
    plot_validation_curves({"paper": Run([3.0, 2.0, 2.5], 1), "small": Run([3.0, 1.0], 1)}, ax=ax)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["paper", "small", "restored epoch"]
    assert [len(line.get_xdata()) for line in ax.get_lines()][:2] == [3, 2]
    (dots,) = [c for c in ax.collections if c.get_label() == "restored epoch"]
    assert dots.get_offsets().tolist() == [[2.0, 2.0], [2.0, 1.0]]
    plt.close(fig)


def test_coherence_panel_has_one_axis_per_metric_and_marks_chance():
    import matplotlib.pyplot as plt
    import pandas as pd

    from ct_helpers.plotting import coherence_label_columns, plot_coherence_by_k

    metrics = {
        "morans_i_mean": 0.5,
        "ami_lobe": 0.2,
        "accuracy_lobe": 0.6,
        "chance_lobe": 0.3,
        "trustworthiness": 0.9,
        "continuity": 0.8,
    }
    rows = [
        ("d", "pca", k, "random", 0, "codes", metric, value + k / 100, "ok")
        for k in (2, 4)
        for metric, value in metrics.items()
    ]
    table = pd.DataFrame(
        rows,
        columns=["dataset", "method", "k", "split", "seed", "part", "metric", "value", "status"],
    )
    assert coherence_label_columns(table) == ["lobe"]
    fig = plot_coherence_by_k(table, "random", 6, title="SYNTHETIC")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 5  # Moran, AMI, accuracy, trustworthiness, continuity
    (chance,) = [line for line in drawn[2].get_lines() if line.get_linestyle() == ":"]
    assert chance.get_ydata()[0] == pytest.approx(0.33)  # mean of the chance rows
    plt.close(fig)
    position = [("d", "pca", k, "random", 0, "codes", "position_share", 0.9, "ok") for k in (2, 4)]
    position.append(("d", "coordinates", 3, "random", 0, "expression", "position_share", 0.4, "ok"))
    table = pd.concat([table, pd.DataFrame(position, columns=table.columns)], ignore_index=True)
    fig = plot_coherence_by_k(table, "random", 6)
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 6 and "position" in drawn[-1].get_ylabel()
    (reference,) = [line for line in drawn[-1].get_lines() if line.get_linestyle() == ":"]
    assert reference.get_ydata()[0] == pytest.approx(0.4)  # the expression's own share
    plt.close(fig)


def test_gene_r2_violins_one_per_cell_in_method_order_with_the_method_colours():
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.colors import to_hex

    from ct_helpers.plotting import METHOD_COLOURS, plot_gene_r2

    rng = np.random.default_rng(0)
    cells = [("umap", 8), ("pca", 2), ("pca", 8), ("umap", 2)]  # SYNTHETIC values
    genes = pd.concat(
        [
            pd.DataFrame({"method": m, "k": k, "r2": rng.random(50) - i})
            for i, (m, k) in enumerate(cells)
        ]
    )
    ax = plot_gene_r2(genes)
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels == ["umap 2", "umap 8", "pca 2", "pca 8"]  # first seen method first, k sorted
    bodies = [c for c in ax.collections if c.get_paths() and len(c.get_paths()[0]) > 20]
    assert len(bodies) == 4
    colours = {to_hex(body.get_facecolor()[0], keep_alpha=False) for body in bodies}
    assert colours == {METHOD_COLOURS["pca"], METHOD_COLOURS["umap"]}
    plt.close("all")


def test_coordinates_without_a_volume_are_drawn_as_markers_on_a_glass_brain():
    import matplotlib.pyplot as plt

    import ct_helpers as ct
    from ct_helpers.plotting import plot_brain_map

    rng = np.random.default_rng(0)
    coords = rng.uniform(-60, 60, (25, 3))  # SYNTHETIC places and values
    data = ct.ExpressionDataset(
        rng.random((25, 4)),
        [f"G{i}" for i in range(4)],
        [f"s{i}" for i in range(25)],
        coords,
        name="points",
    )
    values = data.expression[:, 0].copy()
    values[0] = np.nan  # an undefined sample is left out, not drawn as 0
    display = plot_brain_map(data, values, "G0", "expression (a.u.)")
    counts = [len(c.get_offsets()) for ax in display.axes.values() for c in ax.ax.collections]
    assert max(counts) == 24  # every defined sample in the whole-brain views, the NaN one left out
    plt.close("all")


def test_an_interactive_brain_map_fills_the_atlas_and_says_what_it_shows(schaefer):
    from ct_helpers.plotting import view_brain_map

    values = schaefer.gene("PVALB")
    page = view_brain_map(schaefer, values, "PVALB")._repr_html_()
    assert "brainsprite" in page and "PVALB" in page and schaefer.title in page
    assert len(page) < 1.5e6  # the weight the chapters state: about 0.8 MB per view
    with pytest.raises(ValueError, match="One value per sample of ahba-schaefer100"):
        view_brain_map(schaefer, values[:-1], "PVALB")
