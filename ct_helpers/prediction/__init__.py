"""Prediction: how well do codes predict PET and MRI brain maps? (Chapter 5).

:mod:`~ct_helpers.prediction.targets` holds target maps (containers, sampling
volumes onto the dataset's places, a reader's own maps) and the registry of
named sources, which :mod:`~ct_helpers.prediction.sources` fills (``"mri"``:
BrainSpace and fsaverage5 maps from PyPI; ``"neuromaps"``: PET maps from
neuromaps' store); :mod:`~ct_helpers.prediction.nulls` makes spatial nulls (spin
test, Moran spectral randomisation); :mod:`~ct_helpers.prediction.regressors` holds
the regressors (exact leave-one-out ridge, kNN, boosting) and
:mod:`~ct_helpers.prediction.protocol` the cross-validated protocol with its
controls, p-values and caches.

This namespace holds what Chapter 5 (and a reader's own prediction study)
calls, including the cross-validation folds and buffers of
:mod:`~ct_helpers.evaluation` that the protocol uses.
"""

from ..evaluation.buffers import fold_buffers, resolve_buffer
from ..evaluation.hemispheres import hemisphere_accuracy_within_donors, hemisphere_signals
from ..evaluation.published import published_prediction_r2
from ..evaluation.splits import cv_folds
from . import sources  # noqa: F401  (registers the named target sources "mri", "neuromaps")
from .calibration import null_calibration
from .claims import claims_by_scheme, prediction_claims, prediction_summary
from .comparisons import compare_feature_sets, ranking_with_intervals, repeat_means
from .features import (
    ALL_GENES,
    COORDINATES,
    compute_codes,
    compute_codes_over_seeds,
    control_features,
    describe_feature_sets,
)
from .null_choice import calibration_summary
from .null_smoothness import summarise_null_smoothness, target_smoothness
from .nulls import spatial_nulls
from .protocol import predict_targets
from .scores import cv_difference, domain_summary, prediction_scores
from .sensitivity import hemisphere_sensitivity
from .significance import spatial_significance
from .sources.neuromaps import NEUROMAPS_TARGETS
from .targets import load_targets

__all__ = [
    "hemisphere_accuracy_within_donors",
    "summarise_null_smoothness",
    "prediction_summary",
    "hemisphere_signals",
    "hemisphere_sensitivity",
    "calibration_summary",
    "ALL_GENES",
    "COORDINATES",
    "NEUROMAPS_TARGETS",
    "claims_by_scheme",
    "compare_feature_sets",
    "compute_codes",
    "compute_codes_over_seeds",
    "control_features",
    "cv_difference",
    "cv_folds",
    "describe_feature_sets",
    "domain_summary",
    "fold_buffers",
    "load_targets",
    "null_calibration",
    "predict_targets",
    "prediction_claims",
    "prediction_scores",
    "published_prediction_r2",
    "ranking_with_intervals",
    "repeat_means",
    "resolve_buffer",
    "spatial_nulls",
    "spatial_significance",
    "target_smoothness",
]
