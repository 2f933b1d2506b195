"""Interpretation: what biology each latent dimension carries (Chapter 7).

The last analysis stage (data -> compressors -> evaluation -> prediction ->
interpretation -> plots). :mod:`~ct_helpers.interpretation.gene_weights`
gives every gene a weight on every dimension (its map's correlation with the
latent map, one definition for all methods);
:mod:`~ct_helpers.interpretation.gene_sets` reads cell-type gene sets (GMT);
:mod:`~ct_helpers.interpretation.enrichment` tests them against random genes
and against spatial surrogates of the latent map (Fulcher et al. 2021),
:mod:`~ct_helpers.interpretation.enrichment_calibration` measures how often
each null is fooled, :mod:`~ct_helpers.interpretation.layers` places the
excitatory subtypes in cortical layers, and
:mod:`~ct_helpers.interpretation.stability` checks that weights return across
seeds, bootstrap samples and atlases.
"""

from .enrichment import Enrichment, enrichment_counts, verdict_marks
from .enrichment_calibration import (
    calibration_overview,
    calibration_verdicts,
    enrichment_calibration,
)
from .gene_sets import SHIPPED_GENE_SETS, GeneSetError, GeneSets, load_gene_sets, read_gmt
from .gene_weights import gene_weights, loading_agreement, top_gene_lists, top_genes
from .layers import LAKE_LAYERS, layer_marker_check, layer_profile, layer_trend
from .stability import bootstrap_stability, seed_stability, stability_summary, weight_agreement
from .summary import best_methods, interpretability_table, null_disagreement

__all__ = [
    "Enrichment",
    "GeneSetError",
    "GeneSets",
    "LAKE_LAYERS",
    "SHIPPED_GENE_SETS",
    "best_methods",
    "bootstrap_stability",
    "calibration_overview",
    "calibration_verdicts",
    "enrichment_calibration",
    "enrichment_counts",
    "gene_weights",
    "interpretability_table",
    "layer_marker_check",
    "layer_profile",
    "layer_trend",
    "load_gene_sets",
    "loading_agreement",
    "null_disagreement",
    "read_gmt",
    "seed_stability",
    "stability_summary",
    "top_gene_lists",
    "top_genes",
    "verdict_marks",
    "weight_agreement",
]
