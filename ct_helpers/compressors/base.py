"""The interface every compressor shares: fit, transform, inverse_transform, save, load.

A compressor maps expression (samples x genes) to ``n_components`` numbers per
sample. :class:`Compressor` does what all of them need, so each method only
implements ``_fit``, ``_transform`` and (where it has one) ``_inverse``:

* the paper's preprocessing: an :class:`~ct_helpers.data.preprocessing.ExpressionScaler`
  learned on the training samples and stored with the model, so new data are
  compressed exactly like the training data;
* gene bookkeeping: the gene list is stored; new data given as an
  :class:`~ct_helpers.data.expression.ExpressionDataset` (or with ``genes=``) are
  re-aligned to it by symbol, and missing genes raise an error that names them;
* checks of ``n_components`` against the method's limit and the data's size;
* reconstruction for every method: a learned decoder
  (:class:`~ct_helpers.compressors.decoder.KernelRidgeDecoder`) fitted on the
  training codes beside the method's own inverse, where it has one; both can be
  asked for (``inverse_transform(Z, method="native" | "decoder")``);
* atomic, checksummed :meth:`Compressor.save` (read back by
  :func:`~ct_helpers.compressors.loading.load_compressor`).

A subclass's ``_fit`` may return the training codes (t-SNE and UMAP do: their
embedding of the training samples is the fit itself) and must leave its input
unchanged, because the learned decoder is fitted on it afterwards.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError

from ..data.blocks import is_out_of_core
from ..data.checks import check_expression
from ..data.expression import ExpressionDataset
from ..data.preprocessing import ExpressionScaler, refuse_constant_genes, warn_if_clamped
from .decoder import KernelRidgeDecoder
from .genes import align_genes, matrix_and_genes
from .model_files import save_model
from .out_of_core import fit_out_of_core, transform_out_of_core

INVERSE_METHODS = ("auto", "native", "decoder")

logger = logging.getLogger(__name__)


class Compressor(TransformerMixin, BaseEstimator):
    """Base class of all compressors (scikit-learn conventions).

    Parameters
    ----------
    n_components : int
        Size of the latent space (k).
    random_state : int or None
        Seed of every random step of the method.
    clip_percentiles : tuple of float or None
        Percentile clamp of the :class:`ExpressionScaler` fitted on the training
        data (the paper: 0.1 and 99.9); ``None`` only rescales to [0, 1].
    scale : bool
        ``False`` feeds the data to the method as they are (no clamp, no
        scaling); ``scaler_`` is then ``None``.
    decoder : bool or KernelRidgeDecoder
        Fit a learned decoder (codes -> scaled expression) on the training
        samples: ``True`` with default settings, an unfitted
        :class:`KernelRidgeDecoder` to choose them, ``False`` for none.

    Attributes
    ----------
    scaler_ : ExpressionScaler or None
        Clamp and scale learned in :meth:`fit` (``None`` when ``scale=False``).
    genes_ : numpy.ndarray of str or None
        Gene symbols of the training data (``None`` if fitted on a bare array).
    n_features_in_ : int
        Number of genes seen in :meth:`fit`.
    training_codes_ : numpy.ndarray
        Latent codes of the training samples as the fit produced them (what
        :meth:`fit_transform` returns).
    decoder_ : KernelRidgeDecoder or None
        The fitted learned decoder.
    """

    #: Registry name.
    name: ClassVar[str] = "base"
    #: Largest ``n_components`` the method supports (``None``: limited by the data only).
    max_components: ClassVar[int | None] = None
    #: Why ``max_components`` is the limit (shown in the error above it).
    limit_reason: ClassVar[str] = ""
    #: Whether the method has its own inverse (latent -> genes).
    has_native_inverse: ClassVar[bool] = False
    #: Whether ``fit`` writes checkpoints and resumes from them (a ``checkpoint`` parameter).
    trains_with_checkpoints: ClassVar[bool] = False
    #: Fewest training samples the method itself needs (the learned decoder needs 3).
    min_samples: ClassVar[int] = 2

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = True,
    ):
        self.n_components = n_components
        self.random_state = random_state
        self.clip_percentiles = clip_percentiles
        self.scale = scale
        self.decoder = decoder

    # ------------------------------------------------------------------ public API

    def fit(self, X, y=None, genes=None, copy: bool = True) -> Compressor:
        """Learn the scaler and the latent space from ``X`` (samples x genes).

        ``X`` is an array or an :class:`ExpressionDataset`; ``genes`` names the
        columns of an array (taken from the dataset otherwise). With
        ``copy=False`` a float32 array ``X`` is clamped and scaled *in place*
        instead of into a copy: one copy of the training matrix less, for
        callers that own ``X`` (the sweep of Chapter 4 does).
        """
        if not copy and isinstance(X, ExpressionDataset):
            raise ValueError("copy=False scales X in place: pass an array you own, not a dataset.")
        if self._in_blocks(getattr(X, "expression", X)):  # memory-mapped: read in row blocks
            return fit_out_of_core(
                self,
                getattr(X, "expression", X),
                getattr(X, "genes", None) if genes is None else genes,
            )
        matrix, genes = matrix_and_genes(X, genes)
        self._check_n_samples(matrix.shape[0])
        self._check_n_components(matrix.shape)
        refuse_constant_genes(matrix, genes, what=self.name)
        self.scaler_ = ExpressionScaler(self.clip_percentiles).fit(matrix) if self.scale else None
        self.genes_ = genes
        self.n_features_in_ = matrix.shape[1]
        scaled = self._apply_scaler(matrix, copy=copy)  # a scaled copy, or X itself
        codes = self._fit(scaled)
        self.training_codes_ = np.asarray(
            self._transform(scaled) if codes is None else codes, dtype=np.float32
        )
        self.decoder_ = self._make_decoder()
        if self.decoder_ is not None:
            self.decoder_.fit(self.training_codes_, scaled)
        return self

    def transform(self, X, genes=None) -> np.ndarray:
        """Compress new samples into the fitted latent space: ``(n_samples, n_components)``.

        New data are clamped to the training range; when more than
        :data:`~ct_helpers.data.preprocessing.CLAMP_WARNING_SHARE` of their entries
        are, a :class:`~ct_helpers.data.preprocessing.ClampWarning` says how many
        (the share is kept in ``scaler_.clamped_share_``).
        """
        if self._in_blocks(getattr(X, "expression", X)):  # memory-mapped: read in row blocks
            return transform_out_of_core(self, getattr(X, "expression", X))
        scaled = self._scaled(X, genes)
        if self.scaler_ is not None:
            warn_if_clamped(self.scaler_, what=f"{self.name}.transform")
        return np.asarray(self._transform(scaled), dtype=np.float32)

    def fit_transform(self, X, y=None, genes=None) -> np.ndarray:
        """Fit on ``X`` and return the latent codes of its samples from the fit."""
        return self.fit(X, genes=genes).training_codes_.copy()

    def inverse_transform(self, Z, method: str = "auto") -> np.ndarray:
        """Map latent codes back to expression, in the original units (clamping not undone).

        Parameters
        ----------
        Z : array of shape (n_samples, n_components)
            Latent codes.
        method : {"auto", "native", "decoder"}
            ``"native"``: the method's own inverse; ``"decoder"``: the learned
            decoder; ``"auto"``: the own inverse where there is one, else the decoder.
        """
        self._check_fitted()
        if method not in INVERSE_METHODS:
            raise ValueError(f"method must be one of {INVERSE_METHODS}, got {method!r}.")
        if method == "auto":
            method = "native" if self.native_inverse_unavailable() is None else "decoder"
        Z = self._check_codes(Z)
        if method == "native":
            reason = self.native_inverse_unavailable()
            if reason is not None:
                raise NotImplementedError(f"{self.name}: {reason}")
            scaled = np.asarray(self._inverse(Z), dtype=np.float32)
        else:
            if self.decoder_ is None:
                raise NotImplementedError(
                    f"{self.name} was fitted with decoder=False: no learned decoder to use."
                )
            scaled = self.decoder_.predict(Z)
        if self.scaler_ is None:
            return scaled
        return self.scaler_.inverse_transform(scaled, copy=False)

    def reconstruct(self, X, genes=None, method: str = "auto") -> np.ndarray:
        """``inverse_transform(transform(X), method)``, in the original units."""
        return self.inverse_transform(self.transform(X, genes=genes), method=method)

    def machine_dependent_params(self) -> dict:
        """Choices this machine makes for "auto" parameters that change the result.

        A parameter such as the auto-encoder's ``precision="auto"`` gives
        other numbers on another machine; caches key by its resolved value.

        Examples
        --------
        >>> from ct_helpers.compressors import PCACompressor
        >>> PCACompressor().machine_dependent_params()
        {}
        """
        return {}

    def native_inverse_unavailable(self) -> str | None:
        """Why this fitted model has no own inverse (``None`` when it has one)."""
        if not self.has_native_inverse:
            return "it has no inverse of its own; use method='decoder' (the learned decoder)."
        return None

    def inverse_methods(self) -> list[str]:
        """List the reconstructions this fitted model offers: ``"native"`` and/or ``"decoder"``."""
        self._check_fitted()
        methods = ["native"] if self.native_inverse_unavailable() is None else []
        return methods + (["decoder"] if self.decoder_ is not None else [])

    def save(self, path: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> Path:
        """Write the fitted compressor (with scaler and genes) to ``path`` atomically.

        As arrays and JSON where its state allows (PCA, kernel PCA, NMF), else as
        a pickle signed with this installation's key (t-SNE, UMAP; the key lives
        in the data folder ``data_dir``): see
        :mod:`~ct_helpers.compressors.model_files`. A JSON side-car
        (``path`` + ``.json``) records the class, parameters, sha256 and package
        versions; :func:`~.loading.load_compressor` checks it.
        """
        self._check_fitted()
        params = {
            key: value
            if isinstance(value, int | float | str | bool | None | tuple)
            else repr(value)
            for key, value in self.get_params().items()
        }
        return save_model(
            self,
            path,
            {
                "class": f"{type(self).__module__}.{type(self).__qualname__}",
                "name": self.name,
                "params": params,
                "n_features_in": self.n_features_in_,
            },
            data_dir=data_dir,
        )

    # ------------------------------------------------------------------ for subclasses

    def _fit(self, X: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ checks

    def _in_blocks(self, matrix) -> bool:
        """Whether to read ``matrix`` in row blocks: out of core, and this method can.

        A memory map given to a method without an out-of-core fit (t-SNE,
        UMAP) is read into memory, with a warning when large.
        """
        if not is_out_of_core(matrix):
            return False
        if hasattr(self, "_fit_blocks") or not isinstance(matrix, np.memmap):
            return True
        if matrix.nbytes > 2**30:
            logger.warning(
                "%s has no out-of-core fit: the %.1f GB memory-mapped matrix is read into memory.",
                self.name,
                matrix.nbytes / 2**30,
            )
        return False

    def _make_decoder(self) -> KernelRidgeDecoder | None:
        if self.decoder is True:
            return KernelRidgeDecoder(random_state=self.random_state)
        if isinstance(self.decoder, KernelRidgeDecoder):
            return clone(self.decoder)
        if self.decoder in (False, None):
            return None
        raise ValueError(
            f"decoder must be True, False or a KernelRidgeDecoder, got {self.decoder!r}."
        )

    def _apply_scaler(self, matrix: np.ndarray, copy: bool = True) -> np.ndarray:
        """Return ``matrix`` scaled, as a float32 copy or (``copy=False``) in place."""
        if self.scaler_ is None:
            return matrix.copy() if copy else matrix
        return self.scaler_.transform(matrix, copy=copy)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(X) first."
            )

    def min_training_samples(self) -> int:
        """Return the fewest training samples a fit with these parameters needs.

        The method's own minimum (:attr:`min_samples`), and 3 for the learned
        decoder unless ``decoder=False``.

        Examples
        --------
        >>> from ct_helpers.compressors import PCACompressor
        >>> PCACompressor().min_training_samples()
        3
        >>> PCACompressor(decoder=False).min_training_samples()
        2
        """
        with_decoder = self.decoder not in (False, None)
        return max(self.min_samples, KernelRidgeDecoder.min_samples if with_decoder else 0)

    def _check_n_samples(self, n_samples: int) -> None:
        needed = self.min_training_samples()
        if n_samples < needed:
            decoder = (
                " (with its learned decoder; decoder=False needs fewer)"
                if (self.decoder not in (False, None) and needed > self.min_samples)
                else ""
            )
            raise ValueError(
                f"{self.name}: n_samples = {n_samples}; it needs at least "
                f"{needed} training samples{decoder}."
            )

    def _check_n_components(self, shape: tuple[int, int]) -> None:
        k = self.n_components
        if not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"{self.name}: n_components must be a positive integer, got {k!r}.")
        if self.max_components is not None and k > self.max_components:
            raise ValueError(
                f"{self.name} supports at most {self.max_components} components, got "
                f"n_components={k}. {self.limit_reason}".rstrip()
            )
        if k > min(shape):
            raise ValueError(
                f"{self.name}: n_components={k} exceeds min(n_samples, n_genes) = {min(shape)}."
            )

    def _check_codes(self, Z) -> np.ndarray:
        Z = check_expression(Z, what=f"{self.name} latent codes")
        if Z.shape[1] != self.n_components:
            raise ValueError(
                f"{self.name}: codes have {Z.shape[1]} columns, the model {self.n_components}."
            )
        return Z

    def _scaled(self, X, genes) -> np.ndarray:
        """Align new data to the training genes, then clamp and scale them."""
        self._check_fitted()
        matrix, genes = matrix_and_genes(X, genes)
        if genes is not None and self.genes_ is not None:
            matrix = align_genes(matrix, genes, self.genes_, what=self.name)
        elif matrix.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {matrix.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the genes it was fitted on); pass an "
                "ExpressionDataset or genes= to align columns by gene symbol."
            )
        return self._apply_scaler(matrix)
