"""The learned decoder's fit: two SVDs per bandwidth (before) and one eigendecomposition (now).

``python benchmarks/bench_decoder.py [--repeats N]``

The decoder (:class:`ct_helpers.compressors.decoder.KernelRidgeDecoder`)
searches 4 bandwidths x 8 penalties by exact leave-one-out; each bandwidth
builds Nystroem RBF features. Until 2026-12-04 (afternoon) each bandwidth took
an SVD of the landmarks' kernel (for ``K_mm^-1/2``) and an SVD of the tall
feature matrix (samples x landmarks); now ``eigh`` of the symmetric kernel and
one ``eigh`` of the features' Gram (``feature_decomposition``). Both paths run
here on the same data in one process: the "before" path, the two SVDs, is
patched in. Real data: PCA codes (k = 2) of 80 % of the ``ahba-schaefer100``
parcels and of the ``ahba-dk83-pseudovoxel-8mm`` voxels, decoded into all
15,633 genes, and the position share of those codes (the decoder reading 2
columns from x, y, z in each of 5 folds, as every coherence cell of a sweep
does). Prints the best of ``--repeats`` fit times per path and the largest
difference of the held-out reconstructions (or shares); writes
``benchmarks/results/decoder.json``.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np
from _record import write_record
from sklearn.utils import check_random_state

import ct_helpers as ct
from ct_helpers.compressors import decoder as D

DATASETS = ("ahba-schaefer100", "ahba-dk83-pseudovoxel-8mm")


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


def before_path():
    """Patches that put the two SVDs back."""
    return (
        mock.patch.object(D, "nystroem_basis", svd_basis),
        mock.patch.object(D, "feature_decomposition", svd_decomposition),
    )


def fit_times(codes, target, held_out_codes, repeats: int) -> tuple[float, np.ndarray]:
    best, decoded = np.inf, None
    D.KernelRidgeDecoder(random_state=0).fit(codes, target)  # warm-up, not timed
    for _ in range(repeats):
        start = time.perf_counter()
        model = D.KernelRidgeDecoder(random_state=0).fit(codes, target)
        best = min(best, time.perf_counter() - start)
        decoded = model.predict(held_out_codes)
    return best, decoded


def position_share_times(name: str, repeats: int) -> dict:
    """The position share of 2 codes: 5 folds x 4 bandwidths of 2-column fits from x, y, z."""
    from ct_helpers.evaluation.position import position_share

    data = ct.load_dataset(name)
    codes = ct.make_compressor("pca", n_components=2, random_state=0).fit_transform(data)
    times = {}
    for path in ("now", "before"):
        patches = before_path() if path == "before" else ()
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
        "dataset": f"{name}, position share of 2 codes",
        "training samples": int(data.n_samples),
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
    first, second = before_path()
    with first, second:
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
    rows = [run(name, args.repeats) for name in DATASETS]
    rows += [position_share_times(name, args.repeats) for name in DATASETS]
    for row in rows:
        print(row)
    write_record("decoder.json", "learned decoder fit, two SVDs vs one eigh per bandwidth", rows)


if __name__ == "__main__":
    main()
