"""The learned decoder's fit: kernels built through scikit-learn (before) and in NumPy (now).

``python benchmarks/bench_decoder.py [--repeats N]``

The decoder (:class:`ct_helpers.compressors.decoder.KernelRidgeDecoder`)
searches 4 bandwidths x 8 penalties by exact leave-one-out; each bandwidth
builds Nystroem RBF features. Until 2026-12-04 they came from scikit-learn's
``Nystroem`` and ``rbf_kernel``, whose input checks cost more than the kernels
on the book's small matrices; now from ``nystroem_basis`` and ``rbf`` (the
same landmarks and normalisation in NumPy). Both paths run here on the same
data in one process: the "before" path is scikit-learn's, patched in. Real
data: PCA codes (k = 2) of 80 % of the ``ahba-schaefer100`` parcels and of the
``ahba-dk83-pseudovoxel-8mm`` voxels, decoded into all 15,633 genes, and the
position share of those codes on the parcels (the decoder reading 2 columns
in each of 5 folds, as every coherence cell of a sweep does). Prints
the best of ``--repeats`` fit times per path and the largest difference of the
held-out reconstructions; writes ``benchmarks/results/decoder.json``.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np
from _record import write_record
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import rbf_kernel

import ct_helpers as ct
from ct_helpers.compressors import decoder as D

DATASETS = ("ahba-schaefer100", "ahba-dk83-pseudovoxel-8mm")


def scikit_learn_basis(Z, gamma, n_landmarks, random_state):
    """The features as they were built before: scikit-learn's Nystroem."""
    fitted = Nystroem(
        kernel="rbf", gamma=gamma, n_components=min(n_landmarks, len(Z)), random_state=random_state
    ).fit(Z)
    return fitted.components_, fitted.normalization_


def scikit_learn_rbf(A, B, gamma):
    return rbf_kernel(A, B, gamma=gamma)


def fit_times(codes, target, held_out_codes, repeats: int) -> tuple[float, np.ndarray]:
    best, decoded = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        model = D.KernelRidgeDecoder(random_state=0).fit(codes, target)
        best = min(best, time.perf_counter() - start)
        decoded = model.predict(held_out_codes)
    return best, decoded


def position_share_times(repeats: int) -> dict:
    """The position share of 2 codes on the parcels: 5 folds x 4 bandwidths of 2-column fits."""
    from ct_helpers.evaluation.position import position_share

    data = ct.load_dataset("ahba-schaefer100")
    codes = ct.make_compressor("pca", n_components=2, random_state=0).fit_transform(data)
    times = {}
    for path in ("now", "before"):
        patches = (
            [
                mock.patch.object(D, "nystroem_basis", scikit_learn_basis),
                mock.patch.object(D, "rbf", scikit_learn_rbf),
            ]
            if path == "before"
            else []
        )
        for patch in patches:
            patch.start()
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            share = position_share(codes, data.coords)
            best = min(best, time.perf_counter() - start)
        times[path] = (best, share.per_column)
        for patch in patches:
            patch.stop()
    return {
        "dataset": "ahba-schaefer100, position share of 2 codes",
        "training samples": 99,
        "genes": 2,
        "before (s)": round(times["before"][0], 3),
        "now (s)": round(times["now"][0], 3),
        "speed-up": round(times["before"][0] / times["now"][0], 2),
        "max |difference|": float(np.abs(times["now"][1] - times["before"][1]).max()),
    }


def run(name: str, repeats: int) -> dict:
    data = ct.load_dataset(name)
    split = ct.random_split(data.n_samples, 0.2, random_state=0)
    pca = ct.make_compressor("pca", n_components=2, decoder=False, random_state=0)
    pca.fit(data.expression[split.train])
    target = pca.scaler_.transform(data.expression[split.train])
    codes, held_out = pca.training_codes_, pca.transform(data.expression[split.test])
    now, decoded_now = fit_times(codes, target, held_out, repeats)
    with (
        mock.patch.object(D, "nystroem_basis", scikit_learn_basis),
        mock.patch.object(D, "rbf", scikit_learn_rbf),
    ):
        before, decoded_before = fit_times(codes, target, held_out, repeats)
    return {
        "dataset": name,
        "training samples": int(split.train.size),
        "genes": int(data.n_genes),
        "before (s)": round(before, 3),
        "now (s)": round(now, 3),
        "speed-up": round(before / now, 2),
        "max |difference|": float(np.abs(decoded_now - decoded_before).max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [run(name, args.repeats) for name in DATASETS] + [position_share_times(args.repeats)]
    for row in rows:
        print(row)
    write_record("decoder.json", "learned decoder fit, scikit-learn vs NumPy kernels", rows)


if __name__ == "__main__":
    main()
