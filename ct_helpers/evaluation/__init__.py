"""Evaluation: how good is a compression? (Chapters 2 to 4).

:mod:`~ct_helpers.evaluation.splits` holds samples out (random, spatially
blocked, with a buffer); :mod:`~ct_helpers.evaluation.metrics` scores
reconstruction fidelity and the anatomical coherence of codes;
:mod:`~ct_helpers.evaluation.reconstruction` scores the reconstruction of
held-out samples one way for every method and reference (one row schema);
:mod:`~ct_helpers.evaluation.coherence` scores the anatomical coherence of codes;
:mod:`~ct_helpers.evaluation.baselines` gives the coordinates k-NN reference;
:mod:`~ct_helpers.evaluation.sweep` runs every (method, k, split, seed) once,
cached, and :mod:`~ct_helpers.evaluation.sweep_results` reads it back;
:mod:`~ct_helpers.evaluation.generalisability` asks whether latent dimensions
come out of different brains (Dear et al.'s g over disjoint donor triplets);
:mod:`~ct_helpers.evaluation.published` keeps the paper's numbers for comparison.
It reads data and compressors, never prediction or plots. This namespace holds
what the chapters call.
"""

from . import metrics
from .error_definitions import error_definitions
from .generalisability import GENERALISABLE_G
from .leakage import leakage_glue, leakage_table
from .published import PAPER_SOURCE, published_rmse
from .reconstruction import held_out_reconstruction, held_out_summary, table_to_wide
from .reconstruction_claims import reconstruction_claims
from .splits import sample_spacing
from .sweep import POSITION_REFERENCE_SIZES, make_split
from .sweep_results import (
    load_codes,
    load_gene_r2,
    position_share_table,
    reconstruction_references,
)
from .sweep_summary import sweep_glue
from .training_report import training_glue, training_summary, variant_summary, variants_glue

__all__ = [
    "GENERALISABLE_G",
    "PAPER_SOURCE",
    "POSITION_REFERENCE_SIZES",
    "error_definitions",
    "leakage_glue",
    "leakage_table",
    "load_codes",
    "load_gene_r2",
    "make_split",
    "position_share_table",
    "published_rmse",
    "reconstruction_claims",
    "reconstruction_references",
    "sample_spacing",
    "sweep_glue",
    "held_out_reconstruction",
    "held_out_summary",
    "metrics",
    "table_to_wide",
    "training_glue",
    "training_summary",
    "variant_summary",
    "variants_glue",
]
