"""Prediction: how well do codes predict PET and MRI brain maps? (Chapter 5).

:mod:`~ct_helpers.prediction.targets` holds target maps (containers, sampling
volumes onto the dataset's places, a reader's own maps) and the registry of
named sources, which :mod:`~ct_helpers.prediction.sources` fills (``"mri"``:
BrainSpace and fsaverage5 maps from PyPI; ``"neuromaps"``: PET maps from
neuromaps' store); :mod:`~ct_helpers.prediction.nulls` makes spatial nulls (spin
test, Moran spectral randomisation); :mod:`~ct_helpers.prediction.protocol` is
the cross-validated protocol with its controls and p-values.
"""

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
