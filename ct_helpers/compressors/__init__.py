"""Compressors behind one scikit-learn-style interface and one registry (Chapter 2).

``make_compressor("pca", n_components=8, random_state=0)`` returns any
registered method; ``register_compressor`` adds your own. Every compressor
also fits a learned decoder (:class:`KernelRidgeDecoder`), so all of them
reconstruct; the auto-encoder (Chapter 3) is in the same registry.
"""

from .autoencoder.device import choose_device, resolve_precision
from .autoencoder.estimator import (
    SAVE_FORMAT,
    AutoEncoderCompressor,
    checkpoint_path,
    load_autoencoder,
)
from .autoencoder.network import AutoEncoder, count_parameters, layer_table
from .base import Compressor
from .decoder import KernelRidgeDecoder
from .genes import align_genes
from .kernel_pca import KernelPCACompressor
from .kernels import median_heuristic_gamma
from .linear import NMFCompressor, PCACompressor
from .loading import load_compressor
from .manifold import TSNECompressor, UMAPCompressor
from .model_files import UntrustedModelFileError, register_saved_format
from .registry import list_compressors, make_compressor, register_compressor

register_compressor("pca", PCACompressor, "PCA by randomized SVD (scikit-learn)")
register_compressor(
    "kpca",
    KernelPCACompressor,
    "RBF kernel PCA, median-heuristic gamma, Nystroem above 10,000 "
    "samples; kernel-ridge pre-image (scikit-learn)",
)
register_compressor("nmf", NMFCompressor, "NMF, nndsvda start, coordinate descent (scikit-learn)")
register_compressor("tsne", TSNECompressor, "t-SNE, FFT-accelerated, with transform (openTSNE)")
register_compressor("umap", UMAPCompressor, "UMAP with transform and inverse (umap-learn)")
register_compressor(
    "autoencoder", AutoEncoderCompressor, "the paper's deep auto-encoder (PyTorch, CUDA if present)"
)
register_saved_format(SAVE_FORMAT, load_autoencoder)

__all__ = [
    "resolve_precision",
    "layer_table",
    "count_parameters",
    "choose_device",
    "AutoEncoder",
    "AutoEncoderCompressor",
    "Compressor",
    "KernelPCACompressor",
    "KernelRidgeDecoder",
    "NMFCompressor",
    "PCACompressor",
    "TSNECompressor",
    "UMAPCompressor",
    "align_genes",
    "checkpoint_path",
    "list_compressors",
    "load_autoencoder",
    "load_compressor",
    "UntrustedModelFileError",
    "make_compressor",
    "median_heuristic_gamma",
    "register_compressor",
    "register_saved_format",
]
