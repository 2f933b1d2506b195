"""References that no compressor should lose to unnoticed.

The **coordinates baseline** predicts a held-out sample's expression from its
three MNI coordinates alone, by k-nearest-neighbour regression on the training
samples. It is a *floor*: a compressor encodes the held-out sample's own
expression, the baseline never sees it, so a compression into k numbers that
reconstructs worse than these 3 numbers has learnt less than the brain's
geometry already gives away, while beating it says little.

The fair question, "what do the codes carry that position does not?", is
answered by :class:`PositionDecoder`: the book's learned decoder given the
coordinates alone, and given the codes *and* the coordinates. The second
cannot do worse than the first except by overfitting, and the gap between
them is what the codes add beyond smoothness.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import KNeighborsRegressor

from ..compressors.decoder import KernelRidgeDecoder
from ..data.preprocessing import ExpressionScaler
from ..data.spaces import check_coordinates
from .paired import compare_methods


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


class PositionDecoder:
    """The learned decoder given MNI coordinates, alone or beside a method's codes.

    A :class:`~ct_helpers.compressors.decoder.KernelRidgeDecoder` (RBF kernel
    ridge, bandwidth and penalty chosen by leave-one-out on the training
    samples) reads the coordinates, or the coordinates and the codes. Each
    block is standardised (training mean and standard deviation per column)
    and divided by the square root of its width, so the 3 coordinates and the
    k codes weigh the same in the kernel whatever k is.

    Parameters
    ----------
    n_landmarks : int
        Nystroem landmarks of the decoder.
    random_state : int or None
        Seed of the decoder's landmarks.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> coords = rng.uniform(-60, 60, (200, 3))  # SYNTHETIC: expression = position + a code
    >>> code = rng.normal(size=(200, 1))
    >>> Y = np.c_[coords[:, 0] / 60, code[:, 0]].astype(np.float32)
    >>> alone = PositionDecoder().fit(coords[:150], Y[:150])
    >>> both = PositionDecoder().fit(coords[:150], Y[:150], codes=code[:150])
    >>> def rmse(d, c=None):
    ...     return float(np.sqrt(np.mean((d.predict(coords[150:], c) - Y[150:]) ** 2)))
    >>> rmse(both, code[150:]) < rmse(alone) / 2
    True
    """

    def __init__(self, n_landmarks: int = 1000, random_state: int | None = 0):
        self.n_landmarks = n_landmarks
        self.random_state = random_state

    def fit(self, coords: np.ndarray, Y: np.ndarray, codes: np.ndarray | None = None):
        """Learn ``Y`` (n x genes, scaled expression; not copied) from coordinates [and codes]."""
        blocks = self._blocks(coords, codes, "training")
        self.with_codes_ = codes is not None
        self.centres_ = [block.mean(axis=0) for block in blocks]
        self.widths_ = [
            np.where(sd > 0, sd, 1.0) * np.sqrt(block.shape[1])
            for block, sd in zip(blocks, [b.std(axis=0) for b in blocks], strict=True)
        ]
        self.decoder_ = KernelRidgeDecoder(
            n_landmarks=self.n_landmarks, random_state=self.random_state
        ).fit(self._features(blocks), Y)
        return self

    def predict(self, coords: np.ndarray, codes: np.ndarray | None = None) -> np.ndarray:
        """Predicted scaled expression at ``coords`` [with ``codes``], float32."""
        if not hasattr(self, "decoder_"):
            raise RuntimeError("PositionDecoder is not fitted yet: call fit first.")
        if (codes is not None) != self.with_codes_:
            raise ValueError(
                "Fitted " + ("with" if self.with_codes_ else "without") + " codes; predict "
                "needs the same inputs."
            )
        return self.decoder_.predict(self._features(self._blocks(coords, codes, "held-out")))

    @staticmethod
    def _blocks(coords, codes, what: str) -> list[np.ndarray]:
        blocks = [check_coordinates(coords, what=what)]
        if codes is not None:
            codes = np.asarray(codes, dtype=np.float64)
            if codes.ndim != 2 or codes.shape[0] != blocks[0].shape[0]:
                raise ValueError(
                    f"codes have shape {codes.shape}; expected ({blocks[0].shape[0]}, k)."
                )
            blocks.append(codes)
        return blocks

    def _features(self, blocks: list[np.ndarray]) -> np.ndarray:
        return np.hstack(
            [
                (block - centre) / width
                for block, centre, width in zip(blocks, self.centres_, self.widths_, strict=True)
            ]
        )


#: The part scored by the learned decoder given codes and coordinates (see
#: :class:`~ct_helpers.evaluation.baselines.PositionDecoder`).
CODES_AND_COORDINATES = "codes + coordinates"
#: The coordinates' part scored by the same decoder given the coordinates alone.
POSITION_DECODER = "position decoder"


def beyond_position(
    table: pd.DataFrame, split: str = "random", metric: str = "rmse", **options
) -> pd.DataFrame:
    """Compare codes + coordinates with coordinates alone: what codes add to position.

    Both are the learned decoder, one given the method's codes and the MNI
    coordinates (part ``"codes + coordinates"``), the other the coordinates
    alone (the coordinates' part ``"position decoder"``), paired over the seeds.
    ``"lower"`` (RMSE) says the codes carry expression that position does
    not; ``"no difference"`` that the decoder reads nothing from them beyond
    where the sample is.

    Examples
    --------
    >>> rows = [(m, p, k, s, v + s / 100) for s in range(4) for m, p, k, v in (
    ...     ("pca", "codes + coordinates", 2, 0.08), ("coordinates", "position decoder", 3, 0.10))]
    >>> table = pd.DataFrame([(m, k, "random", s, p, "rmse", v, "ok")  # SYNTHETIC
    ...                       for m, p, k, s, v in rows], columns=["method", "k", "split",
    ...                       "seed", "part", "metric", "value", "status"])
    >>> beyond_position(table)[["method", "difference", "verdict"]].round(3).values.tolist()
    [['pca', -0.02, 'lower']]
    """
    return compare_methods(
        table,
        "coordinates",
        metric,
        CODES_AND_COORDINATES,
        split,
        reference_part=POSITION_DECODER,
        **options,
    )
