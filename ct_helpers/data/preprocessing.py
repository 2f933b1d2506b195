"""Percentile clamping and [0, 1] scaling that remember their parameters.

The paper clips the whole expression matrix at its global 0.1th and 99.9th
percentiles before the auto-encoder, whose sigmoid output needs values in
[0, 1]. :class:`ExpressionScaler` learns the clip limits and the scale on
training data only, then transforms new data identically, and can be saved
with a fitted model (:meth:`ExpressionScaler.to_dict`). Chapter 1 shows it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from ..messages import few
from .blocks import block_rows, is_out_of_core
from .checks import check_expression

#: Share of clamped entries in new data above which :func:`warn_if_clamped` warns.
#: Training data lose 0.2 % of their entries to the paper's (0.1, 99.9) percentile
#: clamp by construction; 5 % is 25 times that, so new data are clearly off the
#: training scale (another normalisation, or units).
CLAMP_WARNING_SHARE = 0.05
_ROWS = 512  # rows per clamp-and-count step: a small boolean temporary, never a matrix


class ClampWarning(UserWarning):
    """New data lie largely outside the range the scaler learned from training data."""


class ExpressionScaler:
    """Clamp at percentiles, then scale to [0, 1]; scikit-learn style.

    Parameters
    ----------
    clip_percentiles : tuple of float or None
        Lower and upper percentiles (0-100). ``None`` disables clamping.
    per_gene : bool
        ``False`` (default, as the paper): one pair of limits for the whole
        matrix, so relative gene variances are kept. ``True``: limits per gene.

    Attributes
    ----------
    lower_, upper_ : float or numpy.ndarray
        Clamp limits learned by :meth:`fit` (arrays of ``n_genes`` when ``per_gene``).
    n_genes_ : int
        Number of genes seen in :meth:`fit`.
    clamped_share_ : float
        Share of the entries that the last :meth:`transform` clamped.

    Notes
    -----
    ``inverse_transform`` undoes the scaling exactly; clamped values cannot be
    recovered, so ``inverse_transform(transform(X)) == X`` holds for entries
    inside the clamp limits only.

    Examples
    --------
    >>> X = np.array([[0.0, 2.0], [1.0, 4.0]], dtype=np.float32)
    >>> scaler = ExpressionScaler(clip_percentiles=None).fit(X)
    >>> scaler.transform(X).tolist()
    [[0.0, 0.5], [0.25, 1.0]]
    >>> np.allclose(scaler.inverse_transform(scaler.transform(X)), X)
    True
    """

    def __init__(
        self, clip_percentiles: tuple[float, float] | None = (0.1, 99.9), per_gene: bool = False
    ):
        self.clip_percentiles = clip_percentiles
        self.per_gene = per_gene

    def fit(self, X: np.ndarray) -> ExpressionScaler:
        """Learn clamp limits from ``X`` (samples x genes); an out-of-core ``X`` in row blocks."""
        mapped = is_out_of_core(X)
        if mapped and self.per_gene:
            raise NotImplementedError(
                "per_gene limits of an out-of-core matrix are not implemented; use per_gene=False."
            )
        if not mapped:
            X = check_expression(X, what="ExpressionScaler.fit")
        axis = 0 if self.per_gene else None
        if self.clip_percentiles is None:
            lower, upper = _column_limits(X) if mapped else (X.min(axis=axis), X.max(axis=axis))
            if mapped:
                lower, upper = lower.min(), upper.max()
        else:
            low, high = self.clip_percentiles
            if not 0 <= low < high <= 100:
                raise ValueError(
                    f"clip_percentiles must satisfy 0 <= low < high <= 100, got "
                    f"{self.clip_percentiles}."
                )
            lower, upper = _percentiles(X, (low, high), per_gene=self.per_gene, mapped=mapped)
        if not self.per_gene and not upper > lower:
            raise ValueError(
                f"ExpressionScaler.fit: the data are constant (both clamp limits "
                f"{self.clip_percentiles} are {float(lower):.6g}): nothing to scale or compress."
            )
        self.lower_ = np.asarray(lower, dtype=np.float32)
        self.upper_ = np.asarray(upper, dtype=np.float32)
        self.n_genes_ = X.shape[1]
        return self

    @property
    def _span(self) -> np.ndarray:
        span = self.upper_ - self.lower_
        return np.where(span > 0, span, 1.0).astype(np.float32)

    def transform(self, X: np.ndarray, copy: bool = True) -> np.ndarray:
        """Clamp and scale ``X`` with the fitted limits (``copy=False``: in place, float32)."""
        X = self._check(X)
        out = X.copy() if copy else X
        clamped = 0
        for start in range(0, out.shape[0], _ROWS):
            rows = out[start : start + _ROWS]
            clamped += np.count_nonzero(rows < self.lower_) + np.count_nonzero(rows > self.upper_)
            np.clip(rows, self.lower_, self.upper_, out=rows)
        self.clamped_share_ = clamped / out.size
        out -= self.lower_
        out /= self._span
        return out

    def fit_transform(self, X: np.ndarray, copy: bool = True) -> np.ndarray:
        """Fit on ``X`` and return it transformed."""
        return self.fit(X).transform(X, copy=copy)

    def inverse_transform(self, X: np.ndarray, copy: bool = True) -> np.ndarray:
        """Map scaled values back to the original units (clamping is not undone)."""
        X = self._check(X)
        out = X.copy() if copy else X
        out *= self._span
        out += self.lower_
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return parameters and fitted limits as plain JSON-ready values."""
        self._check_fitted()
        return {
            "clip_percentiles": None
            if self.clip_percentiles is None
            else list(self.clip_percentiles),
            "per_gene": self.per_gene,
            "lower_": self.lower_.tolist(),
            "upper_": self.upper_.tolist(),
            "n_genes_": self.n_genes_,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> ExpressionScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output."""
        clip = state["clip_percentiles"]
        scaler = cls(None if clip is None else tuple(clip), state["per_gene"])
        scaler.lower_ = np.asarray(state["lower_"], dtype=np.float32)
        scaler.upper_ = np.asarray(state["upper_"], dtype=np.float32)
        scaler.n_genes_ = int(state["n_genes_"])
        return scaler

    def _check_fitted(self) -> None:
        if not hasattr(self, "lower_"):
            raise NotFittedError("This ExpressionScaler is not fitted yet: call fit(X) first.")

    def _check(self, X: np.ndarray) -> np.ndarray:
        self._check_fitted()
        X = check_expression(X, what="ExpressionScaler")
        if X.shape[1] != self.n_genes_:
            raise ValueError(
                f"ExpressionScaler was fitted on {self.n_genes_} genes, got {X.shape[1]} columns."
            )
        return X


def warn_if_clamped(scaler: ExpressionScaler, what: str = "new data") -> float:
    """Warn when the last transform clamped more than :data:`CLAMP_WARNING_SHARE` of the entries.

    The warning is a :class:`ClampWarning`; the clamped share is returned.
    Compressors call it on every ``transform`` of new data.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((50, 20), dtype=np.float32)  # SYNTHETIC
    >>> scaler = ExpressionScaler().fit(X)
    >>> _ = scaler.transform(X * 10)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     share = warn_if_clamped(scaler)
    >>> round(share, 2), caught[0].category.__name__
    (0.9, 'ClampWarning')
    """
    share = float(getattr(scaler, "clamped_share_", 0.0))
    if share > CLAMP_WARNING_SHARE:
        warnings.warn(
            f"{what}: {share:.1%} of the entries lie outside the training range "
            f"[{np.min(scaler.lower_):.4g}, {np.max(scaler.upper_):.4g}] and were clamped to it "
            f"(training data: about {_expected_share(scaler):.1%}); their codes are unreliable. "
            "Are these data on the same scale as the training data?",
            ClampWarning,
            stacklevel=3,
        )
    return share


def _expected_share(scaler: ExpressionScaler) -> float:
    if scaler.clip_percentiles is None:
        return 0.0
    low, high = scaler.clip_percentiles
    return (low + 100 - high) / 100


def constant_columns(X: np.ndarray, rows: int | None = None) -> np.ndarray:
    """Return the columns of ``X`` whose value never changes (min == max), read by row chunks.

    ``rows`` per chunk: 512, or :func:`~ct_helpers.data.blocks.block_rows`
    for an out-of-core ``X``.

    Examples
    --------
    >>> constant_columns(np.array([[1.0, 2.0], [1.0, 3.0]])).tolist()
    [0]
    """
    low, high = _column_limits(X, rows)
    return np.flatnonzero(low == high)


def refuse_constant_genes(X, genes, what: str) -> None:
    """Raise naming the genes of ``X`` that never change: they carry nothing to compress.

    Examples
    --------
    >>> refuse_constant_genes(np.array([[1.0, 2.0], [1.0, 3.0]]), ["A", "B"], "pca")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: pca: 1 genes are constant over the 2 training samples: A. They carry ...
    """
    constant = constant_columns(X)
    if constant.size == X.shape[1]:
        raise ValueError(
            f"{what}: every gene is constant over the {X.shape[0]} training "
            "samples; there is nothing to compress."
        )
    if constant.size:
        names = constant if genes is None else np.asarray(genes)[constant]
        raise ValueError(
            f"{what}: {constant.size} genes are constant over the {X.shape[0]} training "
            f"samples: {few(names)}. They carry no information: drop them before fitting."
        )


def _column_limits(X, rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of ``X``, read ``rows`` rows at a time."""
    rows = rows or (block_rows() if is_out_of_core(X) else _ROWS)
    low = np.min(X[:rows], axis=0)
    high = np.max(X[:rows], axis=0)
    for start in range(rows, X.shape[0], rows):
        block = X[start : start + rows]
        np.minimum(low, np.min(block, axis=0), out=low)
        np.maximum(high, np.max(block, axis=0), out=high)
    return low, high


def _percentiles(
    X: np.ndarray, q: tuple[float, float], per_gene: bool, block: int = 256, mapped: bool = False
):
    """Percentiles of all entries, or per gene ``block`` genes at a time, without copying X.

    ``np.percentile`` sorts a copy of what it is given, which for the whole
    expression matrix is a second matrix; these give the same values (its
    default linear interpolation) from chunks. An out-of-core (``mapped``) X
    is read in row blocks, with a sample of at most one block of entries.
    """
    if mapped:
        size = block_rows()
        sample = min(200_000, size * X.shape[1], max(1, X.size // 5))  # never all of X
        return tuple(exact_percentiles(X, q, chunk_rows=size, sample_size=sample))
    if not per_gene:
        return tuple(exact_percentiles(X, q))
    out = np.empty((2, X.shape[1]), dtype=np.float64)
    for start in range(0, X.shape[1], block):
        out[:, start : start + block] = np.percentile(X[:, start : start + block], q, axis=0)
    return out[0], out[1]


def exact_percentiles(
    X: np.ndarray, q, chunk_rows: int = 256, sample_size: int = 200_000, random_state: int = 0
) -> np.ndarray:
    """``np.percentile(X, q)`` over all entries, exactly, without a copy of ``X``.

    A random sample of entries brackets each order statistic; one pass over
    row chunks counts the entries below the bracket and keeps those inside it
    (about 1 % of them), from which the exact order statistics are selected.
    A bracket that misses is widened and the pass repeated. Small arrays go
    straight to ``np.percentile``.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((3000, 2000), dtype=np.float32)  # SYNTHETIC
    >>> bool(np.allclose(exact_percentiles(X, [0.1, 99.9]), np.percentile(X, [0.1, 99.9])))
    True
    """
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    n = X.size
    if n <= 4 * sample_size:
        return np.percentile(X, q)
    positions = q / 100 * (n - 1)
    ranks = np.unique(np.concatenate([np.floor(positions), np.ceil(positions)]).astype(np.int64))
    rng = np.random.default_rng(random_state)
    rows = rng.integers(0, X.shape[0], sample_size, dtype=np.int32)
    sample = X[rows, rng.integers(0, X.shape[1], sample_size, dtype=np.int32)]
    sample = np.sort(sample)
    margin = int(5 * np.sqrt(sample_size)) + 1  # >= 10 standard errors of a sample rank
    values = {}
    for rank in ranks:
        at = rank / (n - 1) * (sample_size - 1)
        low = sample[max(int(at) - margin, 0)] if int(at) - margin > 0 else -np.inf
        high = sample[int(at) + margin] if int(at) + margin < sample_size else np.inf
        while rank not in values:
            below, inside = 0, []
            for start in range(0, X.shape[0], chunk_rows):
                block = X[start : start + chunk_rows]
                below += int(np.count_nonzero(block < low))
                inside.append(block[(block >= low) & (block <= high)])
            inside = np.concatenate(inside)
            if below <= rank < below + inside.size:
                values[rank] = float(np.partition(inside, rank - below)[rank - below])
            elif rank < below:
                low = -np.inf
            else:
                high = np.inf
    lower = np.array([values[int(r)] for r in np.floor(positions)])
    upper = np.array([values[int(r)] for r in np.ceil(positions)])
    return lower + (positions - np.floor(positions)) * (upper - lower)
