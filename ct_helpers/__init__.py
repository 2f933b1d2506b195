"""ct_helpers: the reusable code of the Compressed Transcriptomics book.

The book teaches, this package keeps what the book built so later chapters
(and your own analyses) can reuse it. Data flow one way, and so do the
subpackages: :mod:`~ct_helpers.data` (where expression comes from and which
brain space it lives in) -> :mod:`~ct_helpers.compressors` (PCA, kernel PCA, NMF,
t-SNE, UMAP, the auto-encoder) -> :mod:`~ct_helpers.evaluation` (splits,
metrics, the sweep) -> :mod:`~ct_helpers.prediction` (target maps, nulls, the
protocol) -> :mod:`~ct_helpers.interpretation` (gene weights, cell-type
enrichment) -> :mod:`~ct_helpers.plotting`. :mod:`~ct_helpers.config` and
:mod:`~ct_helpers.storage` serve them all. This namespace holds what a reader
calls; ``CONTRIBUTING.md`` says where new code goes.

Examples
--------
>>> import ct_helpers as ct
>>> data = ct.make_synthetic_expression(n_genes=30, resolution=16)  # SYNTHETIC
>>> ct.make_compressor("pca", n_components=2, random_state=0).fit_transform(data).shape
(454, 2)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Where each name of this namespace is defined; imported on first use, so that
#: ``import ct_helpers`` (and ``ct-book``'s checks) start in a fraction of a second.
_EXPORTS = {
    "AutoEncoderCompressor": ".compressors",
    "Compressor": ".compressors",
    "UntrustedModelFileError": ".compressors",
    "list_compressors": ".compressors",
    "load_compressor": ".compressors",
    "make_compressor": ".compressors",
    "register_compressor": ".compressors",
    "by_profile": ".config",
    "data_folder": ".config",
    "display_path": ".config",
    "fit_or_load": ".compressors.fitted",
    "WarningLog": ".messages",
    "get_data_dir": ".config",
    "get_profile": ".config",
    "package_versions": ".config",
    "seed_everything": ".config",
    "DatasetNotBuiltError": ".data.abagen.built",
    "build_ahba_dataset": ".data.abagen.build",
    "DEFAULT_DATASET": ".data.catalog",
    "dataset_name_from_path": ".data.catalog",
    "list_datasets": ".data.catalog",
    "load_dataset": ".data.catalog",
    "load_dk83_pseudovoxel": ".data.pseudovoxels",
    "register_dataset": ".data.catalog",
    "save_dataset": ".data.catalog",
    "DonorExpressionNotBuiltError": ".data.donors",
    "load_donor_expression": ".data.donors",
    "ExpressionDataset": ".data.expression",
    "GeneOverlap": ".data.gene_overlap",
    "GeneOverlapWarning": ".data.gene_overlap",
    "select_genes": ".data.gene_overlap",
    "select_samples": ".data.subsets",
    "shared_genes": ".data.gene_overlap",
    "load_ahba_dk83": ".data.parcels",
    "load_ahba_schaefer100": ".data.parcels",
    "ExpressionScaler": ".data.preprocessing",
    "AmbiguousTableError": ".data.text_cells",
    "TableReadError": ".data.text_cells",
    "read_table": ".data.reading",
    "Parcellation": ".data.spaces",
    "VoxelGrid": ".data.spaces",
    "mni_brain_mask": ".data.spaces",
    "mni_grid": ".data.spaces",
    "make_synthetic_expression": ".data.synthetic",
    "load_expression_nifti": ".data.expression_images",
    "load_expression_table": ".data.tables",
    "generalisability": ".evaluation.generalisability",
    "generalisability_table": ".evaluation.generalisability",
    "Split": ".evaluation.splits",
    "random_split": ".evaluation.splits",
    "spatial_block_split": ".evaluation.splits",
    "spatial_blocks": ".evaluation.splits",
    "SweepSettings": ".evaluation.sweep",
    "run_sweep": ".evaluation.sweep",
    "load_sweep_table": ".evaluation.sweep_results",
    "TargetMaps": ".prediction.maps",
    "compute_codes": ".prediction.protocol",
    "predict_targets": ".prediction.protocol",
    "load_targets": ".prediction.targets",
    "register_target_source": ".prediction.targets",
    "CacheError": ".storage",
}
#: Subpackages and modules reachable as attributes (``ct.plotting``, ``ct.data``).
_SUBMODULES = (
    "compressors",
    "config",
    "data",
    "evaluation",
    "interpretation",
    "messages",
    "parallel",
    "plotting",
    "prediction",
    "storage",
)


def __getattr__(name: str) -> Any:
    """Import a name of the namespace (or a subpackage) when it is first used."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(_SUBMODULES) | {"__version__"})


__all__ = [
    "AmbiguousTableError",
    "AutoEncoderCompressor",
    "CacheError",
    "Compressor",
    "DEFAULT_DATASET",
    "DatasetNotBuiltError",
    "DonorExpressionNotBuiltError",
    "ExpressionDataset",
    "ExpressionScaler",
    "GeneOverlap",
    "GeneOverlapWarning",
    "Parcellation",
    "Split",
    "SweepSettings",
    "TableReadError",
    "TargetMaps",
    "UntrustedModelFileError",
    "VoxelGrid",
    "build_ahba_dataset",
    "by_profile",
    "compute_codes",
    "dataset_name_from_path",
    "display_path",
    "generalisability",
    "generalisability_table",
    "get_data_dir",
    "get_profile",
    "list_compressors",
    "list_datasets",
    "load_ahba_dk83",
    "load_ahba_schaefer100",
    "load_compressor",
    "load_dataset",
    "load_donor_expression",
    "load_dk83_pseudovoxel",
    "load_expression_nifti",
    "load_expression_table",
    "load_sweep_table",
    "load_targets",
    "make_compressor",
    "make_synthetic_expression",
    "mni_brain_mask",
    "mni_grid",
    "package_versions",
    "plotting",
    "predict_targets",
    "random_split",
    "read_table",
    "register_compressor",
    "register_dataset",
    "register_target_source",
    "run_sweep",
    "save_dataset",
    "seed_everything",
    "data_folder",
    "fit_or_load",
    "WarningLog",
    "select_genes",
    "select_samples",
    "shared_genes",
    "spatial_block_split",
    "spatial_blocks",
]
