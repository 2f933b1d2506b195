"""The learned decoder's fit, as it was and as it is, on the same data in one process.

``python benchmarks/bench_decoder.py [--repeats N]``

The decoder (:class:`ct_helpers.compressors.decoder.KernelRidgeDecoder`)
searches 4 bandwidths x 8 penalties by exact leave-one-out; each bandwidth
builds Nystroem RBF features. The paths timed (the older ones patched in):

* **two SVDs** (until 2026-12-04, afternoon): an SVD of the landmarks' kernel
  (for ``K_mm^-1/2``) and of the tall feature matrix, and two passes over the
  genes per bandwidth (``U^T Y`` and ``Y (U^T Y)^T``);
* **eigh**: ``eigh`` of the symmetric kernel and of the features' Gram
  (``feature_decomposition``), still two passes over the genes per bandwidth;
* **eigh + targets' Gram** (now, :mod:`ct_helpers.compressors.target_gram`): one
  pass for the targets' centred Gram, one for the chosen bandwidth's
  coefficients; timed with the kept Gram forgotten before each fit (**cold**)
  and computed beforehand (**kept**: what every decoder of a sweep cell after
  the split's first Gram sees, whatever its ranks);
* **eigh, feature bases kept** (the position share only, since 2026-12-04
  night): every fold's and bandwidth's landmarks, normalisation and feature
  decomposition kept from the untimed first call
  (``KernelRidgeDecoder(keep_features=True)``), as every coherence cell of a
  sweep after the first finds them; the other paths forget them before each fit.

Real data: PCA codes (k = 2; and k = 8 on the voxels) of 80 % of the
``ahba-schaefer100`` parcels and of the ``ahba-dk83-pseudovoxel-8mm`` voxels,
decoded into all 15,633 genes, and the position share of those codes (the
decoder reading 2 columns from x, y, z in each of 5 folds, as every coherence
cell of a sweep does; too few targets for the Gram route). Every path has the
leave-one-out error of few targets from their ``n x targets`` fit (since the
evening of 2026-12-04; before, an ``n x r x r`` product per penalty), which
this script does not patch out. Prints the best of ``--repeats`` fit times per
path and the largest difference of the held-out reconstructions (or shares)
from the first path's; writes ``benchmarks/results/decoder.json``.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from unittest import mock

import numpy as np
from _record import write_record
from sklearn.utils import check_random_state

import ct_helpers as ct
from ct_helpers.compressors import decoder as D
from ct_helpers.compressors import decoder_features, target_gram

DATASETS = ("ahba-schaefer100", "ahba-dk83-pseudovoxel-8mm")
#: (dataset, k) decoded into the genes: 2 smooth codes have few feature directions, 8 many
DECODED = (
    ("ahba-schaefer100", 2),
    ("ahba-dk83-pseudovoxel-8mm", 2),
    ("ahba-dk83-pseudovoxel-8mm", 8),
)


def svd_basis(Z, gamma, n_landmarks, random_state):
    """The normalisation as it was computed before: an SVD of the landmarks' kernel."""
    order = check_random_state(random_state).permutation(Z.shape[0])
    landmarks = np.asarray(Z, dtype=np.float64)[order[: min(n_landmarks, Z.shape[0])]]
    u, s, vt = np.linalg.svd(D.rbf(landmarks, landmarks, gamma))
    return landmarks, (u / np.sqrt(np.clip(s, 1e-12, None))) @ vt


def svd_decomposition(phi):
    """The features' decomposition as it was computed before: a thin SVD of the tall matrix."""
    u, s, vt = np.linalg.svd(phi, full_matrices=False)
    keep = s > s[0] * 1e-6
    return u[:, keep], s[keep], vt[keep]


def no_gram():
    """The per-bandwidth products over the genes (the targets' Gram never used)."""
    return mock.patch.object(D, "gram_may_pay", lambda *args: False)


#: name -> (patches, what is kept: None or "cold" nothing (the Gram forgotten before each
#: fit), "kept" the Gram computed beforehand, "bases" the position share's feature bases)
PATHS = {
    "two SVDs": (
        lambda: (
            mock.patch.object(D, "nystroem_basis", svd_basis),
            mock.patch.object(D, "feature_decomposition", svd_decomposition),
            no_gram(),
        ),
        None,
    ),
    "eigh": (lambda: (no_gram(),), None),
    "eigh + targets' Gram, cold": (lambda: (), "cold"),
    "eigh + targets' Gram, kept": (lambda: (), "kept"),
    "eigh, feature bases kept": (lambda: (), "bases"),
}


def timed(fit, repeats: int, kept: str | None):
    """Best time of ``repeats`` calls of ``fit`` (after an untimed warm-up) and its last result.

    Before each call the kept Gram is forgotten (``kept="cold"``) and the kept
    feature bases are, unless ``kept="bases"``.
    """
    best, result = np.inf, fit()
    for _ in range(repeats):
        if kept == "cold":
            target_gram.clear_memo()
        if kept != "bases":
            decoder_features.clear_kept_bases()
        start = time.perf_counter()
        result = fit()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare(label: str, size: dict, fit, outputs, repeats: int, targets=None) -> dict:
    """Time ``fit`` on every path; ``outputs(result)``'s difference from the first path's.

    ``targets``: the decoder's targets, whose Gram the "kept" path computes
    beforehand (None: too few targets for the Gram, the path is left out).
    """
    row, first = {"dataset": label, **size}, None
    for name, (patches, gram) in PATHS.items():
        if (gram == "kept" and targets is None) or (gram == "bases" and targets is not None):
            continue  # the Gram for many targets, the feature bases for the position share
        with ExitStack() as stack:
            for patch in patches():
                stack.enter_context(patch)
            target_gram.clear_memo()
            decoder_features.clear_kept_bases()
            if gram == "kept":
                target_gram.centred_gram(targets, targets.mean(axis=0, dtype=np.float64))
            seconds, result = timed(fit, repeats, gram)
        first = outputs(result) if first is None else first
        row[f"{name} (s)"] = round(seconds, 3)
        row[f"{name}: max |difference|"] = float(np.abs(outputs(result) - first).max())
    return row


def position_share_times(name: str, repeats: int) -> dict:
    """The position share of 2 codes: 5 folds x 4 bandwidths of 2-column fits from x, y, z."""
    from ct_helpers.evaluation.position import position_share

    data = ct.load_dataset(name)
    codes = ct.make_compressor("pca", n_components=2, random_state=0).fit_transform(data)
    size = {"training samples": int(data.n_samples), "targets": 2}
    return compare(
        f"{name}, position share of 2 codes",
        size,
        lambda: position_share(codes, data.coords),
        lambda share: share.per_column,
        repeats,
    )


def run(name: str, k: int, repeats: int) -> dict:
    data = ct.load_dataset(name)
    split = ct.random_split(data.n_samples, 0.2, random_state=0)
    pca = ct.make_compressor("pca", n_components=k, decoder=False, random_state=0)
    pca.fit(data.expression[split.train])
    target = pca.scaler_.transform(data.expression[split.train])
    codes, held_out = pca.training_codes_, pca.transform(data.expression[split.test])
    return compare(
        f"{name}, {k} PCA codes",
        {"training samples": int(split.train.size), "targets": int(data.n_genes)},
        lambda: D.KernelRidgeDecoder(random_state=0).fit(codes, target),
        lambda model: model.predict(held_out),
        repeats,
        target,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [run(name, k, args.repeats) for name, k in DECODED]
    rows += [position_share_times(name, args.repeats) for name in DATASETS]
    for row in rows:
        print(row)
    write_record("decoder.json", "learned decoder fit: two SVDs, eigh, eigh + targets' Gram", rows)


if __name__ == "__main__":
    main()
