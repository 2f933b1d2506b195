"""ct_helpers: the reusable code of the Compressed Transcriptomics book.

The book teaches, this package keeps what the book built so later chapters
(and your own analyses) can reuse it. Data flow one way, and so do the
subpackages: :mod:`~ct_helpers.data` (where expression comes from and which
brain space it lives in) -> :mod:`~ct_helpers.compressors` (PCA, kernel PCA, NMF,
t-SNE, UMAP, the auto-encoder) -> :mod:`~ct_helpers.evaluation` (splits,
metrics, the sweep) -> :mod:`~ct_helpers.prediction` (target maps, nulls, the
protocol) -> :mod:`~ct_helpers.plotting`. :mod:`~ct_helpers.config` and
:mod:`~ct_helpers.storage` serve them all. This namespace holds what a reader
calls; ``CONTRIBUTING.md`` says where new code goes.

Examples
--------
>>> import ct_helpers as ct
>>> data = ct.make_synthetic_expression(n_genes=30, resolution=16)  # SYNTHETIC
>>> ct.make_compressor("pca", n_components=2, random_state=0).fit_transform(data).shape
(454, 2)
"""

from . import plotting
from .compressors import (
    AutoEncoderCompressor,
    Compressor,
    UntrustedModelFileError,
    list_compressors,
    load_compressor,
    make_compressor,
    register_compressor,
)
from .config import (
    by_profile,
    display_path,
    get_data_dir,
    get_profile,
    package_versions,
    seed_everything,
)
from .data.abagen.build import DatasetNotBuiltError, build_ahba_dataset
from .data.catalog import (
    DEFAULT_DATASET,
    list_datasets,
    load_dataset,
    load_dk83_pseudovoxel,
    register_dataset,
    save_dataset,
)
from .data.donors import DonorExpressionNotBuiltError, load_donor_expression
from .data.expression import ExpressionDataset
from .data.parcels import load_ahba_dk83, load_ahba_schaefer100
from .data.preprocessing import ExpressionScaler
from .data.reading import AmbiguousTableError, TableReadError, read_table
from .data.spaces import Parcellation, VoxelGrid, mni_brain_mask, mni_grid
from .data.synthetic import make_synthetic_expression
from .data.tables import load_expression_nifti, load_expression_table
from .evaluation.generalisability import generalisability, generalisability_table
from .evaluation.splits import Split, random_split, spatial_block_split, spatial_blocks
from .evaluation.sweep import SweepSettings, run_sweep
from .evaluation.sweep_results import load_sweep_table
from .prediction.maps import TargetMaps
from .prediction.protocol import cached_predict_targets, compute_codes, predict_targets
from .prediction.sources import mri, neuromaps  # noqa: F401  (register "mri", "neuromaps")
from .prediction.targets import load_targets, register_target_source
from .storage import CacheError

__version__ = "0.1.0"

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
    "Parcellation",
    "Split",
    "SweepSettings",
    "TableReadError",
    "TargetMaps",
    "UntrustedModelFileError",
    "VoxelGrid",
    "build_ahba_dataset",
    "by_profile",
    "cached_predict_targets",
    "compute_codes",
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
    "spatial_block_split",
    "spatial_blocks",
]
