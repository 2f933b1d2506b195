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
"""

from . import sources  # noqa: F401  (registers the named target sources "mri", "neuromaps")
from .protocol import (
    cached_predict_targets,
    compute_codes,
    control_features,
    cv_difference,
    domain_summary,
    predict_targets,
)

__all__ = ["cached_predict_targets", "compute_codes", "control_features", "cv_difference",
           "domain_summary", "predict_targets"]  # fmt: skip
