"""ct_helpers: the reusable code of the Compressed Transcriptomics book.

The book teaches, this package keeps what the book built so later chapters
(and your own analyses) can reuse it. Chapter 1 introduces the data layer.
"""

from .ahba_build import DatasetNotBuiltError, build_ahba_dataset
from .brain_space import Parcellation, VoxelGrid, mni_brain_mask, mni_grid
from .cache import CacheError, load_array, save_array, sha256_file
from .compressors import list_compressors, make_compressor, register_compressor
from .config import by_profile, get_data_dir, get_profile, package_versions, seed_everything
from .dataset import ExpressionDataset
from .datasets import (
    DEFAULT_DATASET,
    list_datasets,
    load_ahba_dk83,
    load_ahba_schaefer100,
    load_dataset,
    load_dk83_pseudovoxel,
    register_dataset,
)
from .preprocessing import ExpressionScaler
from .splits import Split, random_split, spatial_block_split, spatial_blocks
from .synthetic import make_synthetic_expression
from .targets import TargetMaps, load_targets, register_target_source
from .user_data import load_expression_nifti, load_expression_table

# Imported for their registrations: the target sources "mri" and "neuromaps".
from . import mri_maps, neuromaps_fetcher  # noqa: E402, F401  isort: skip

__version__ = "0.1.0"

__all__ = [
    "CacheError",
    "DEFAULT_DATASET",
    "DatasetNotBuiltError",
    "ExpressionDataset",
    "ExpressionScaler",
    "Parcellation",
    "Split",
    "TargetMaps",
    "VoxelGrid",
    "build_ahba_dataset",
    "by_profile",
    "get_data_dir",
    "get_profile",
    "list_compressors",
    "list_datasets",
    "load_ahba_dk83",
    "load_ahba_schaefer100",
    "load_array",
    "load_dataset",
    "load_targets",
    "load_dk83_pseudovoxel",
    "load_expression_nifti",
    "load_expression_table",
    "make_compressor",
    "make_synthetic_expression",
    "mni_brain_mask",
    "mni_grid",
    "package_versions",
    "random_split",
    "register_compressor",
    "register_dataset",
    "register_target_source",
    "save_array",
    "seed_everything",
    "sha256_file",
    "spatial_block_split",
    "spatial_blocks",
]
