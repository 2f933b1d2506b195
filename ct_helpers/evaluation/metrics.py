"""Metrics that judge a compression: reconstruction fidelity and anatomical coherence.

Chapter 4 defines each of them with its formula; in short:

* **RMSE** over all gene x sample entries (the paper's metric) and **R²**, one
  minus the squared error relative to predicting the training mean;
  **per-gene R²**, the same per column.
* **Moran's I** of a latent map on a k-nearest-neighbour graph of sample
  coordinates: near +1 for a smooth map, near ``-1/(n-1)`` for a map with no
  spatial structure, negative for a checkerboard (Moran 1950).
* **Adjusted mutual information** between k-means clusters of the codes and
  anatomical labels (Vinh, Epps & Bailey 2010): 1 for identical partitions,
  about 0 for independent ones.
* **Cross-validated accuracy** of predicting anatomical labels from the codes,
  with the majority-class share as chance level.
* **Trustworthiness** and **continuity** of the embedding relative to gene
  space at a neighbourhood size (Venna & Kaski 2001): 1 when neighbourhoods
  are preserved exactly.

The label metrics run their many small matrix products with one BLAS thread
(:func:`one_blas_thread`): on 2 cores, two threads made a logistic regression on
128-dimensional codes five times slower, and the result no longer depends on how
many cores the machine has.
"""

from __future__ import annotations

import numpy as np
from joblib import cpu_count, parallel_config
from scipy import sparse
from scipy.spatial import cKDTree
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import trustworthiness as _sklearn_trustworthiness
from sklearn.metrics import adjusted_mutual_info_score, euclidean_distances
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ..data.spaces import check_coordinates


def rmse(original: np.ndarray, reconstructed: np.ndarray) -> float:
    """Root mean squared error over all entries (the paper's reconstruction metric).

    Examples
    --------
    >>> rmse(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]]))  # sqrt(1 / 2)
    0.7071067811865476
    """
    original, reconstructed = _same_shape(original, reconstructed)
    return float(np.sqrt(np.mean((original - reconstructed) ** 2, dtype=np.float64)))


def r2(original: np.ndarray, reconstructed: np.ndarray, reference_mean: np.ndarray) -> float:
    """Share of the variance around ``reference_mean`` (the training mean) that is recovered.

    ``1 - sum((x - x_hat)^2) / sum((x - mean_train)^2)`` over all entries;
    negative when the reconstruction is worse than the training mean.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> r2(x, x, np.array([2.0, 3.0])), r2(x, np.array([[2.0, 3.0]] * 2), np.array([2.0, 3.0]))
    (1.0, 0.0)
    """
    original, reconstructed = _same_shape(original, reconstructed)
    total = float(np.sum((original - reference_mean) ** 2, dtype=np.float64))
    if total == 0:
        raise ValueError("R² is undefined: the samples all equal the reference mean.")
    return 1.0 - float(np.sum((original - reconstructed) ** 2, dtype=np.float64)) / total


def per_gene_r2(
    original: np.ndarray, reconstructed: np.ndarray, reference_mean: np.ndarray
) -> np.ndarray:
    """R² of every gene (column) around the training mean of that gene.

    A gene whose held-out values all equal its training mean has no variance
    to explain; its R² is NaN (count them with ``np.isnan``).

    Examples
    --------
    >>> x = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> per_gene_r2(x, np.array([[1.0, 4.0], [2.0, 6.0]]), np.array([2.0, 5.0])).tolist()
    [0.5, nan]
    """
    original, reconstructed = _same_shape(original, reconstructed)
    total = np.sum((original - reference_mean) ** 2, axis=0, dtype=np.float64)
    error = np.sum((original - reconstructed) ** 2, axis=0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - error / np.where(total > 0, total, 1.0), np.nan)


def column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``a`` with every column of ``b``.

    ``a`` (n x p) and ``b`` (n x q) share their rows; a 1-D array is one
    column. Returns a p x q array. A constant column correlates 0 with
    everything, not NaN. The book's one correlation helper: generalisability,
    the null calibration, the published maps and Chapter 2 use it.

    Examples
    --------
    >>> a = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    >>> column_correlations(a, np.array([3.0, 2.0, 1.0])).round(3).tolist()
    [[-1.0], [0.0]]
    """
    a, b = (np.asarray(x, dtype=np.float64) for x in (a, b))
    a, b = (x[:, None] if x.ndim == 1 else x for x in (a, b))
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"The two arrays need the same rows: {a.shape[0]} and {b.shape[0]}.")

    def standardised(x):
        centred = x - x.mean(axis=0)
        spread = centred.std(axis=0)
        return centred / np.where(spread > 0, spread, np.inf)

    return standardised(a).T @ standardised(b) / a.shape[0]


def knn_weights(coords: np.ndarray, n_neighbors: int = 6) -> sparse.csr_matrix:
    """Row-standardised spatial weights: each sample's ``n_neighbors`` nearest samples.

    ``W[i, j] = 1 / n_neighbors`` when ``j`` is among the nearest neighbours of
    ``i`` (itself excluded), else 0.

    Examples
    --------
    >>> knn_weights(np.array([[0.0, 0, 0], [1, 0, 0], [5, 0, 0]]), 1).toarray().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    coords = check_coordinates(coords)
    n = coords.shape[0]
    if not 1 <= n_neighbors < n:
        raise ValueError(f"n_neighbors must be between 1 and {n - 1} for {n} samples.")
    _, index = cKDTree(coords).query(coords, k=n_neighbors + 1)
    rows = np.repeat(np.arange(n), n_neighbors)
    neighbours = index[:, 1:].ravel()
    values = np.full(rows.size, 1.0 / n_neighbors)
    return sparse.csr_matrix((values, (rows, neighbours)), shape=(n, n))


def morans_i(values: np.ndarray, weights: sparse.spmatrix) -> np.ndarray:
    """Moran's I of each column of ``values`` under spatial ``weights``.

    ``I = (n / S0) * sum_ij w_ij z_i z_j / sum_i z_i^2`` with ``z`` the centred
    values and ``S0`` the sum of all weights (Moran 1950).

    Parameters
    ----------
    values : numpy.ndarray of shape (n_samples,) or (n_samples, n_maps)
        One or more maps (e.g. the latent dimensions).
    weights : sparse matrix of shape (n_samples, n_samples)
        Spatial weights, e.g. :func:`knn_weights`.

    Returns
    -------
    numpy.ndarray of shape (n_maps,)

    Examples
    --------
    >>> ring = sparse.csr_matrix(np.roll(np.eye(4), 1, axis=1) + np.roll(np.eye(4), -1, axis=1))
    >>> morans_i(np.array([1.0, -1.0, 1.0, -1.0]), ring).round(6).tolist()  # alternating
    [-1.0]
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    n = values.shape[0]
    if weights.shape != (n, n):
        raise ValueError(f"weights are {weights.shape} for {n} samples.")
    if not np.isfinite(values).all():
        raise ValueError("Moran's I needs finite values; some are NaN or infinite.")
    z = values - values.mean(axis=0)
    spread = np.sum(z**2, axis=0)
    constant = np.flatnonzero(spread == 0)
    if constant.size:
        raise ValueError(f"Moran's I is undefined for constant maps (columns {constant.tolist()}).")
    return n / weights.sum() * np.sum(z * (weights @ z), axis=0) / spread


def clustering_ami(
    codes: np.ndarray, labels: np.ndarray, n_clusters: int | None = None, random_state: int = 0
) -> float:
    """Return the adjusted mutual information of k-means clusters of ``codes`` and ``labels``.

    ``n_clusters`` defaults to the number of distinct labels.

    Examples
    --------
    >>> codes = np.array([[0.0], [0.1], [5.0], [5.1]])
    >>> clustering_ami(codes, np.array(["a", "a", "b", "b"]))
    1.0
    """
    codes, labels = _codes_and_labels(codes, labels)
    n_clusters = n_clusters or np.unique(labels).size
    with one_blas_thread():
        clusters = KMeans(n_clusters, n_init=10, random_state=random_state).fit_predict(codes)
    return float(adjusted_mutual_info_score(labels, clusters))


def label_accuracy(
    codes: np.ndarray,
    labels: np.ndarray,
    n_splits: int = 5,
    random_state: int = 0,
    n_jobs: int | None = None,
) -> tuple[float, float]:
    """Cross-validated accuracy of predicting ``labels`` from ``codes``, and chance level.

    A standardised multinomial logistic regression, stratified ``n_splits``-fold
    cross-validation. Chance is the share of the most common label. Labels
    with fewer than ``n_splits`` samples raise an error that names them. The
    folds are fitted in ``n_jobs`` threads (default: one per fold, at most one
    per core), each with one BLAS thread, so the result does not depend on it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat(["a", "b"], 20)
    >>> codes = (labels == "b")[:, None] + rng.normal(0, 0.1, (40, 1))  # SYNTHETIC
    >>> label_accuracy(codes, labels)
    (1.0, 0.5)
    """
    codes, labels = _codes_and_labels(codes, labels)
    names, counts = np.unique(labels, return_counts=True)
    rare = names[counts < n_splits]
    if rare.size:
        raise ValueError(
            f"Labels {rare.tolist()} have fewer than {n_splits} samples; merge them or drop "
            "those samples before cross-validating."
        )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    n_jobs = n_jobs or min(n_splits, cpu_count())
    with one_blas_thread(), parallel_config(backend="threading", n_jobs=n_jobs):
        accuracy = cross_val_score(model, codes, labels, cv=folds, scoring="accuracy")
    return float(accuracy.mean()), float(counts.max() / counts.sum())


def one_blas_thread() -> threadpool_limits:
    """Return a context in which BLAS (numpy's and scipy's) runs on one thread.

    For loops of many small matrix products, such as the L-BFGS iterations of
    :func:`label_accuracy`: measured on 2 cores (``benchmarks/README.md``), with
    two BLAS threads its cross-validation on the 8 mm grid's 128-dimensional UMAP
    codes took 79 s and with one 16 s; and a fixed thread count makes the
    optimiser's rounding, hence the accuracy, independent of the core count.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
    {1}
    """
    return threadpool_limits(limits=1, user_api="blas")


def trustworthiness(original: np.ndarray, embedded: np.ndarray, n_neighbors: int = 10) -> float:
    """How far the embedding's neighbours are true neighbours in ``original`` space.

    1 when every sample's ``n_neighbors`` nearest neighbours in the embedding
    are also among its nearest in the original space (Venna & Kaski 2001;
    scikit-learn's implementation).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((30, 3))  # SYNTHETIC
    >>> trustworthiness(X, 2 * X + 1, n_neighbors=5)  # an isometry up to scale
    1.0
    """
    original, embedded = _paired(original, embedded)
    return float(_sklearn_trustworthiness(original, embedded, n_neighbors=n_neighbors))


def continuity(original: np.ndarray, embedded: np.ndarray, n_neighbors: int = 10) -> float:
    """How far true neighbours in ``original`` space stay neighbours in the embedding.

    Trustworthiness with the two spaces swapped (Venna & Kaski 2001).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((30, 3))  # SYNTHETIC
    >>> continuity(X, X[:, :1], n_neighbors=5) < 1.0  # a projection loses neighbours
    True
    """
    original, embedded = _paired(original, embedded)
    return float(_sklearn_trustworthiness(embedded, original, n_neighbors=n_neighbors))


def pairwise_distances(X: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows of ``X`` (float32, samples x samples).

    Examples
    --------
    >>> pairwise_distances(np.array([[0.0, 0], [3, 4]])).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    X = np.asarray(X, dtype=np.float32)
    return euclidean_distances(X, X).astype(np.float32, copy=False)


def distance_ranks(distances: np.ndarray) -> np.ndarray:
    """Rank of every sample in every other sample's neighbour order (self 0, nearest 1, ...).

    Examples
    --------
    >>> distance_ranks(np.array([[0.0, 1, 5], [1, 0, 2], [5, 2, 0]])).tolist()
    [[0, 1, 2], [1, 0, 2], [2, 1, 0]]
    """
    distances = np.array(distances, dtype=np.float64)  # a copy: the diagonal is changed
    n = distances.shape[0]
    if distances.shape != (n, n):
        raise ValueError(f"distances must be square, got {distances.shape}.")
    np.fill_diagonal(distances, -np.inf)  # each sample first in its own order
    order = np.argsort(distances, axis=1, kind="stable")
    ranks = np.empty((n, n), dtype=np.int32)
    ranks[np.arange(n)[:, None], order] = np.arange(n, dtype=np.int32)[None, :]
    return ranks


def neighbourhood_preservation(
    original_ranks: np.ndarray, embedded_ranks: np.ndarray, n_neighbors: int = 10
) -> tuple[float, float]:
    """Trustworthiness and continuity from the neighbour ranks of the two spaces.

    ``T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_k(i)} (r(i, j) - k)``
    where ``U_k(i)`` are the embedding's k nearest neighbours of ``i`` that are
    not among its k nearest in the original space and ``r`` is the original
    rank (Venna & Kaski 2001); continuity swaps the two spaces. Both are 1
    when neighbourhoods are preserved. Ranks come from :func:`distance_ranks`,
    so the original space's ranks are computed once for many embeddings.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((30, 3))  # SYNTHETIC
    >>> ranks = distance_ranks(pairwise_distances(X))
    >>> neighbourhood_preservation(ranks, ranks, 5)
    (1.0, 1.0)
    """
    n = original_ranks.shape[0]
    if embedded_ranks.shape != original_ranks.shape:
        raise ValueError(
            f"original ranks {original_ranks.shape} and embedded {embedded_ranks.shape} differ."
        )
    if not 1 <= n_neighbors < n / 2:
        raise ValueError(f"n_neighbors must be between 1 and {(n - 1) // 2} for {n} samples.")
    k = n_neighbors
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    penalties = []
    for ranks_here, ranks_there in (
        (embedded_ranks, original_ranks),
        (original_ranks, embedded_ranks),
    ):
        neighbours = np.nonzero((ranks_here >= 1) & (ranks_here <= k))[1].reshape(n, k)
        there = np.take_along_axis(ranks_there, neighbours, axis=1).astype(np.int64)
        penalties.append(float(np.sum(np.clip(there - k, 0, None))))
    return 1.0 - scale * penalties[0], 1.0 - scale * penalties[1]


def _same_shape(original, reconstructed):
    original = np.asarray(original)
    reconstructed = np.asarray(reconstructed)
    if original.shape != reconstructed.shape:
        raise ValueError(
            f"original {original.shape} and reconstructed {reconstructed.shape} differ in shape."
        )
    return original, reconstructed


def _paired(original, embedded):
    original, embedded = np.asarray(original), np.asarray(embedded)
    if original.shape[0] != embedded.shape[0]:
        raise ValueError(
            f"{original.shape[0]} original samples but {embedded.shape[0]} embedded ones."
        )
    return original, embedded


def _codes_and_labels(codes, labels):
    codes = np.asarray(codes, dtype=np.float64)
    codes = codes[:, None] if codes.ndim == 1 else codes
    labels = np.asarray(labels).astype(str)
    if codes.shape[0] != labels.shape[0]:
        raise ValueError(f"{codes.shape[0]} codes but {labels.shape[0]} labels.")
    if not np.isfinite(codes).all():
        rows = np.flatnonzero(~np.isfinite(codes).all(axis=1))
        raise ValueError(f"Codes of rows {rows[:10].tolist()} are not finite.")
    return codes, labels
