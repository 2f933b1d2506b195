"""Shared figure helpers."""

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
