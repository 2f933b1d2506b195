"""The paper's recipe for voxel-wise AHBA data: abagen's arguments, donors, grid sizes.

What :mod:`~ct_helpers.data.abagen.build` passes to abagen and how it compares
with what the paper reports (:func:`paper_comparison`), the registry names of
the voxel datasets, and the message a reader gets when one is not built yet.
"""

from __future__ import annotations

import pandas as pd

from .env import ABAGEN_REQUIREMENTS

#: Every argument of ``abagen.get_expression_data`` the builder passes, with the
#: paper's values: abagen's defaults, plus ``missing="interpolate"`` so that every
#: voxel gets a value (the paper's voxel counts imply it). ``return_*``,
#: ``donors`` and ``data_dir`` are set by the builder.
PAPER_ABAGEN_ARGUMENTS = {
    "ibf_threshold": 0.5,
    "probe_selection": "diff_stability",
    "donor_probes": "aggregate",
    "sim_threshold": None,
    "lr_mirror": None,
    "missing": "interpolate",
    "tolerance": 2,
    "sample_norm": "srs",
    "gene_norm": "srs",
    "norm_matched": True,
    "norm_structures": False,
    "region_agg": "donors",
    "agg_metric": "mean",
    "corrected_mni": True,
    "reannotated": True,
    "verbose": 1,
    "n_proc": 1,
}
#: The six AHBA donors.
AHBA_DONORS = ("9861", "10021", "12876", "14380", "15496", "15697")
#: In-brain voxels of :meth:`VoxelGrid.mni` at each resolution (mm), for messages.
VOXEL_COUNTS = {8: 3666, 4: 29398, 2: 235375}
#: Genes abagen 0.1.3 keeps with these arguments (the paper's count).
N_GENES_EXPECTED = 15633


#: abagen 0.1.3's memory per atlas label and gene: this many bytes per donor, plus
#: :data:`BYTES_PER_LABEL_GENE` once, plus :data:`BASE_BYTES`. Fitted to the peak RSS
#: of its process on the two-donor fixture (benchmarks/README.md: 8 mm, 1,991 genes,
#: one and two donors; 4 mm, 1,000 genes): about five float64 copies per donor.
BYTES_PER_LABEL_GENE_DONOR = 38
BYTES_PER_LABEL_GENE = 20
#: Python, pandas and abagen themselves (the fixture's microarray is small; the real
#: one adds its CSV tables, about 4 GB on disk for six donors, while they are read).
BASE_BYTES = 300 * 2**20


def abagen_memory_bytes(
    n_labels: int, n_genes: int = N_GENES_EXPECTED, n_donors: int = len(AHBA_DONORS)
) -> int:
    """Estimated peak memory of one abagen run on an atlas of ``n_labels`` labels.

    Examples
    --------
    >>> round(abagen_memory_bytes(235_375) / 1e9)  # the 2 mm grid, six donors, 15,633 genes
    913
    >>> round(abagen_memory_bytes(3_666) / 1e9)  # the 8 mm grid
    15
    """
    per_label_gene = BYTES_PER_LABEL_GENE_DONOR * n_donors + BYTES_PER_LABEL_GENE
    return int(per_label_gene * n_labels * n_genes + BASE_BYTES)


def voxel_dataset_name(resolution: float) -> str:
    """Return the registry name of the voxel-wise dataset at ``resolution`` mm.

    Examples
    --------
    >>> voxel_dataset_name(8)
    'ahba-voxel-8mm'
    """
    return f"ahba-voxel-{resolution:g}mm"


def build_command(resolution: float) -> str:
    """Return the shell command that builds the voxel dataset at ``resolution`` mm.

    Examples
    --------
    >>> build_command(4)
    'make ahba RES=4'
    """
    return f"make ahba RES={resolution:g}"


def not_built_message(name: str, resolution: float | None = None) -> str:
    """Explain that ``name`` is not built, with the command, download and output size."""
    lines = [f"Dataset {name!r} has not been built in this data folder."]
    if resolution is not None:
        n_voxels = VOXEL_COUNTS.get(int(resolution))
        size = (
            ""
            if n_voxels is None
            else (
                f" The result is {n_voxels:,} voxels x {N_GENES_EXPECTED:,} genes "
                f"({n_voxels * N_GENES_EXPECTED * 4 / 1e9:.2f} GB as float32). abagen itself needs "
                f"about {abagen_memory_bytes(n_voxels) / 1e9:.0f} GB for it in one run (estimated "
                "from measurements, ct_helpers.data.abagen.recipe); where less memory is "
                "available the builder runs abagen on pieces of the grid, one after the other, "
                "with the same result (AHBA_ARGS='--pieces N' sets their number)."
            )
        )
        lines.append(
            "Build it once, on a machine with internet, from the repository root with\n"
            f"    {build_command(resolution)}\n"
            "This creates a separate abagen environment (.venv-ahba), downloads the AHBA "
            "microarray of six donors (about 4 GB, resumable, kept in <data_dir>/abagen) and "
            "runs abagen.get_expression_data; abagen's interpolation of empty voxels dominates "
            f"the run time, which grows with the voxel count.{size} "
            "Build time on the real data is not measured yet; on a two-donor synthetic "
            "stand-in abagen took 25 s at 8 mm (4,000 genes) and 170 s at 4 mm (1,000 genes) "
            "on 2 CPU cores (benchmarks/README.md), and the real build is several times larger."
        )
    else:
        lines.append(
            "Build it with `ct-build-ahba build --atlas ATLAS.nii.gz "
            f"--name {name.removeprefix('ahba-')}` (see Chapter 1)."
        )
    lines.append("No other data are substituted.")
    return "\n".join(lines)


def paper_comparison(voxel_counts: dict[float, int] | None = None) -> pd.DataFrame:
    """Return a table: what the paper used versus what :func:`build_ahba_dataset` does.

    ``voxel_counts`` maps resolution (mm) to this project's in-brain voxel
    count (default :data:`VOXEL_COUNTS`); the paper's facts are from Ruffle et
    al. 2024 (the voxel-atlas construction there is inferred, not published).

    Examples
    --------
    >>> paper_comparison().loc["donors", "this builder"]
    'all 6 (9861, 10021, 12876, 14380, 15496, 15697)'
    """
    counts = VOXEL_COUNTS if voxel_counts is None else voxel_counts
    args = PAPER_ABAGEN_ARGUMENTS
    rows = {
        "AHBA data": ("microarray, 6 donors, 3,702 samples", "the same, downloaded by abagen"),
        "donors": ("all 6", f"all 6 ({', '.join(AHBA_DONORS)})"),
        "abagen version": ("0.1.4 development build", ABAGEN_REQUIREMENTS[0].split("==")[1]),
        "probe filtering and selection": (
            "abagen defaults",
            f"ibf_threshold={args['ibf_threshold']}, probe_selection={args['probe_selection']!r}, "
            f"reannotated={args['reannotated']}",
        ),
        "normalisation": (
            "abagen defaults (scaled robust sigmoid)",
            f"sample_norm={args['sample_norm']!r}, gene_norm={args['gene_norm']!r}",
        ),
        "sample-to-voxel matching": (
            "not stated (abagen defaults assumed)",
            f"tolerance={args['tolerance']} mm, corrected_mni={args['corrected_mni']}, "
            f"lr_mirror={args['lr_mirror']}",
        ),
        "voxels without samples": (
            "filled (inferred from the voxel counts)",
            f"missing={args['missing']!r} (inverse-distance weighted nearest samples)",
        ),
        "donor aggregation": (
            "abagen defaults",
            f"region_agg={args['region_agg']!r}, agg_metric={args['agg_metric']!r}",
        ),
        "voxel grid": (
            "FSL MNI152 mask, affine diag(-r, r, r), origin (90, -126, -72)",
            "nilearn's MNI152 2009 mask on the same FSL grid geometry",
        ),
        "in-brain voxels at 8 / 4 mm": (
            "3,670 / 29,298",
            f"{counts.get(8, float('nan')):,} / {counts.get(4, float('nan')):,}",
        ),
        "genes": ("15,633", "what abagen 0.1.3 keeps after probe filtering (not yet run here)"),
        "clipping before the auto-encoder": (
            "global 0.1th / 99.9th percentiles",
            "not part of the build: ExpressionScaler, fitted on training samples only",
        ),
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["paper", "this builder"])
