"""References that no compressor should lose to unnoticed.

The **coordinates baseline** predicts a held-out sample's expression from its
three MNI coordinates alone, by k-nearest-neighbour regression on the training
samples. Interpolated expression is a smooth function of position, so this
baseline measures how much of a method's fidelity is spatial smoothness: a
compression into k numbers that reconstructs worse than these 3 numbers has
learnt less than the brain's geometry already gives away.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from ..data.preprocessing import ExpressionScaler
from ..data.spaces import check_coordinates


class CoordinatesBaseline:
    """Predict expression from MNI coordinates by k-nearest-neighbour regression.

    The training expression is clamped and scaled like a compressor's
    (:class:`~ct_helpers.ExpressionScaler`, fitted on the training samples), so
    its errors are in the same units as the compressors' errors.

    Parameters
    ----------
    n_neighbors : int
        Training samples averaged per prediction.
    weights : {"distance", "uniform"}
        Inverse-distance or plain average.
    clip_percentiles : tuple of float or None
        As for the compressors.

    Examples
    --------
    >>> coords = np.array([[0.0, 0, 0], [10, 0, 0], [20, 0, 0]])
    >>> X = np.array([[0.0, 1], [1, 1], [2, 1]], dtype=np.float32)  # SYNTHETIC
    >>> base = CoordinatesBaseline(n_neighbors=2, weights="uniform", clip_percentiles=None)
    >>> base.fit(coords[[0, 2]], X[[0, 2]]).predict(coords[[1]]).tolist()  # constant gene: 0.5
    [[0.5, 0.5]]
    """

    def __init__(
        self,
        n_neighbors: int = 5,
        weights: str = "distance",
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
    ):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.clip_percentiles = clip_percentiles

    def fit(self, coords: np.ndarray, X: np.ndarray, copy: bool = True) -> CoordinatesBaseline:
        """Learn from training coordinates and expression (``copy=False``: scale X in place)."""
        coords = check_coordinates(coords, what="training")
        if coords.shape[0] != X.shape[0]:
            raise ValueError(f"{coords.shape[0]} coordinates but {X.shape[0]} expression rows.")
        if coords.shape[0] < self.n_neighbors:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} exceeds the {coords.shape[0]} training samples."
            )
        self.scaler_ = ExpressionScaler(self.clip_percentiles).fit(X)
        scaled = self.scaler_.transform(X, copy=copy)
        self.model_ = KNeighborsRegressor(self.n_neighbors, weights=self.weights).fit(
            coords, scaled
        )
        return self

    def predict(self, coords: np.ndarray) -> np.ndarray:
        """Predicted scaled expression (0-1) at ``coords``, float32."""
        if not hasattr(self, "model_"):
            raise RuntimeError("CoordinatesBaseline is not fitted yet: call fit first.")
        coords = check_coordinates(coords, what="held-out")
        return self.model_.predict(coords).astype(np.float32)
