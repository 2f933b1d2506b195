"""Compressors behind one scikit-learn-style interface and one registry (Chapter 2).

``make_compressor("pca", n_components=8, random_state=0)`` returns any
registered method; ``register_compressor`` adds your own. Implemented so far:
PCA and NMF. Kernel PCA, t-SNE, UMAP, the learned decoder and the
auto-encoder join the same registry (issues 4 and 5).
"""

from .base import Compressor, align_genes, load_compressor
from .linear import NMFCompressor, PCACompressor
from .registry import list_compressors, make_compressor, register_compressor

register_compressor("pca", PCACompressor, "PCA by randomized SVD (scikit-learn)")
register_compressor("nmf", NMFCompressor, "NMF, nndsvda start, coordinate descent (scikit-learn)")

__all__ = [
    "Compressor",
    "NMFCompressor",
    "PCACompressor",
    "align_genes",
    "list_compressors",
    "load_compressor",
    "make_compressor",
    "register_compressor",
]
