"""Neighbour-graph embeddings: t-SNE (openTSNE) and UMAP (umap-learn).

Implementation choices
----------------------
* **t-SNE: openTSNE**, not scikit-learn. openTSNE has FFT-accelerated
  interpolation (Linderman et al. 2019; linear in n) and, unlike scikit-learn's
  ``TSNE``, a ``transform`` that places new samples into an existing embedding
  (Policar et al. 2024), which held-out evaluation needs. The gradient follows
  openTSNE's own rule: Barnes-Hut below 10,000 samples (about 10 times faster
  than FFT at a few hundred samples, measured here), FFT interpolation above.
  Their limits decide ``max_components = 3``: the FFT gradient exists for 1 and
  2 dimensions only, the Barnes-Hut gradient up to 3 (openTSNE warns it can
  crash above). t-SNE is a visualisation method: k > 3 would need the exact
  O(n^2) gradient and is refused with an error, not silently approximated.
  ``perplexity`` is capped at (n - 1) / 3, the most a data set of n samples allows.
* **UMAP: umap-learn**, the reference implementation (McInnes et al. 2018), with
  ``transform`` for new samples. Its own ``inverse_transform`` triangulates the
  embedding (Delaunay) and interpolates the training samples around each point;
  the triangulation needs k >= 2 and grows roughly as n^(k/2), so it is
  offered for 2 <= k <= ``native_inverse_max_components`` (default 4, like the
  paper's k = 2 and 4). Each query is also optimised against *all* training
  samples in gene space, which took over 14 CPU-minutes without finishing for
  733 queries against the 2,933 training voxels at 8 mm, so it is offered up to
  ``native_inverse_max_samples`` (default 1,000) training samples. The learned
  decoder covers every k and every size. Below 4,096 training samples
  umap-learn computes all distances, one Python call per pair;
  :mod:`.umap_distances` computes the same distances in one compiled loop.

Both methods fit the training embedding as a whole; ``fit_transform`` returns
that embedding, ``transform`` places samples one by one against it (for the
training samples the two differ slightly, as in the libraries themselves).
"""

from __future__ import annotations

import warnings

import numpy as np

from .base import Compressor
from .decoder import KernelRidgeDecoder
from .jit_cache import umap_class
from .umap_distances import use_compiled_pairs


class TSNECompressor(Compressor):
    """t-SNE by openTSNE (Barnes-Hut below 10,000 samples or at k = 3, FFT otherwise).

    Parameters
    ----------
    perplexity : float
        Effective number of neighbours (capped at (n_samples - 1) / 3).
    n_iter : int
        Optimisation iterations after the early-exaggeration phase.
    n_jobs : int
        Threads; 1 keeps results identical from run to run.
    neighbors : str
        openTSNE's nearest-neighbour search: ``"auto"`` (default, openTSNE's
        choice: exact below 1,000 samples, Annoy's approximate trees above),
        ``"exact"`` (scikit-learn's brute force at any size), ``"annoy"``,
        ``"pynndescent"``. On the 8 mm voxels (2,933 x 15,633) ``"exact"`` fits
        in 14 s instead of 66 s and places 733 new voxels in 1.4 s instead of
        15 s, but its embedding decodes 7 % better (held-out RMSE 0.108 against
        0.117) and two coherence metrics move by 0.02: a different result, not
        the same one sooner, so it is not the default (``benchmarks/README.md``).

    Attributes
    ----------
    perplexity_ : float
        The perplexity used after capping.
    embedding_ : openTSNE.TSNEEmbedding
        The fitted embedding (what ``transform`` optimises new samples against).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((80, 20)).astype(np.float32)  # SYNTHETIC
    >>> TSNECompressor(n_components=2, random_state=0, n_iter=50).fit_transform(X).shape
    (80, 2)
    """

    name = "tsne"
    max_components = 3
    limit_reason = (
        "openTSNE's FFT gradient is 2-D only and its Barnes-Hut gradient fails above 3 "
        "dimensions; t-SNE is not meant for larger latent spaces (use UMAP, PCA or the "
        "auto-encoder there)."
    )

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = True,
        perplexity: float = 30.0,
        n_iter: int = 500,
        n_jobs: int = 1,
        neighbors: str = "auto",
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale, decoder)
        self.perplexity = perplexity
        self.n_iter = n_iter
        self.n_jobs = n_jobs
        self.neighbors = neighbors

    def _fit(self, X: np.ndarray) -> np.ndarray:
        from openTSNE import TSNE  # optional heavy import

        self.perplexity_ = float(min(self.perplexity, (X.shape[0] - 1) / 3))
        tsne = TSNE(
            n_components=self.n_components,
            perplexity=self.perplexity_,
            n_iter=self.n_iter,
            negative_gradient_method=self._gradient(X.shape[0]),
            initialization="pca",
            neighbors=self.neighbors,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            verbose=False,
        )
        self.embedding_ = tsne.fit(np.asarray(X, dtype=np.float64))
        return np.asarray(self.embedding_)

    def _gradient(self, n_samples: int) -> str:
        """Pick the gradient: BH below 10,000 samples (openTSNE's rule) and at k = 3."""
        return "fft" if n_samples >= 10_000 and self.n_components <= 2 else "bh"

    def _transform(self, X: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return np.asarray(self.embedding_.transform(np.asarray(X, dtype=np.float64)))


class UMAPCompressor(Compressor):
    """UMAP by umap-learn, with its own inverse up to a few dimensions.

    Parameters
    ----------
    n_neighbors : int
        Size of the local neighbourhood (capped at n_samples - 1).
    min_dist : float
        How tightly points may pack in the embedding.
    native_inverse_max_components : int
        Largest k for which umap-learn's ``inverse_transform`` is offered.
    native_inverse_max_samples : int
        Largest training set for which it is offered (see the module notes).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((80, 20)).astype(np.float32)  # SYNTHETIC
    >>> UMAPCompressor(n_components=2, random_state=0).fit_transform(X).shape
    (80, 2)
    """

    name = "umap"
    has_native_inverse = True
    #: Two neighbours at least (umap-learn's n_neighbors > 1).
    min_samples = 3

    def min_training_samples(self) -> int:
        """Return the fewest training samples: also k + 2, for UMAP's spectral start.

        Its initial layout takes k + 1 eigenvectors of the neighbour graph,
        which needs more than k + 1 samples (scipy's ``eigh`` otherwise fails
        with a TypeError about ``k >= N``).

        Examples
        --------
        >>> UMAPCompressor(n_components=2).min_training_samples()
        4
        """
        return max(super().min_training_samples(), self.n_components + 2)

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = True,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        native_inverse_max_components: int = 4,
        native_inverse_max_samples: int = 1000,
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale, decoder)
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.native_inverse_max_components = native_inverse_max_components
        self.native_inverse_max_samples = native_inverse_max_samples

    def _fit(self, X: np.ndarray) -> np.ndarray:
        UMAP = umap_class()  # numba functions compiled once per installation, then cached
        use_compiled_pairs()  # all-pairs distances compiled, not called pair by pair

        self.n_neighbors_ = int(min(self.n_neighbors, X.shape[0] - 1))
        self.model_ = UMAP(
            n_components=self.n_components,
            n_neighbors=self.n_neighbors_,
            min_dist=self.min_dist,
            random_state=self.random_state,
            transform_seed=42 if self.random_state is None else self.random_state,
        )
        with warnings.catch_warnings():
            # A seed makes umap-learn run single-threaded and say so; that is the point.
            warnings.filterwarnings("ignore", message=".*n_jobs.*overridden.*")
            return self.model_.fit_transform(X)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        use_compiled_pairs()  # also for a model read from a file
        return self.model_.transform(X)

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return self.model_.inverse_transform(Z)

    def native_inverse_unavailable(self) -> str | None:
        """UMAP's own inverse is offered for 2 <= k <= ``native_inverse_max_components``."""
        if self.n_components < 2:
            return (
                "umap-learn's inverse_transform triangulates the embedding (Delaunay), which "
                "needs at least 2 dimensions; use method='decoder' (the learned decoder)."
            )
        n_train = self.training_codes_.shape[0] if hasattr(self, "training_codes_") else 0
        if n_train > self.native_inverse_max_samples:
            return (
                "umap-learn's inverse_transform optimises each query point against all "
                f"{n_train} training samples in gene space (queries x samples x genes x epochs "
                "operations; 733 queries against 2,933 samples ran over 14 CPU-minutes without "
                f"finishing), so it is offered up to {self.native_inverse_max_samples} training "
                "samples; use method='decoder' (the learned decoder)."
            )
        if self.n_components > self.native_inverse_max_components:
            return (
                f"umap-learn's inverse_transform triangulates the {self.n_components}-D "
                f"embedding, which is offered up to {self.native_inverse_max_components} "
                "dimensions; use method='decoder' (the learned decoder)."
            )
        return None
