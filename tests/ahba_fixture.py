"""Fabricate a tiny AHBA microarray folder in abagen's own on-disk format (tests only).

Two real donors (12876 and 15496), all of their real tissue-sample well ids
with the MNI coordinates abagen ships (``corrected_mni_coordinates.csv.gz``),
and a few dozen probes whose names, gene symbols and Entrez ids are real rows
of abagen's ``reannotated.csv.gz``. The **expression values are SYNTHETIC**:
each gene is a smooth spatial field of MNI position (sums of broad Gaussian
bumps), plus a donor offset and probe noise, so a test can check that the
builder recovers the field, not only the shape. The ontology is fabricated
too (a few cortical structures binned by y coordinate under the real class id
4008, "cerebral cortex"), because the real ``Ontology.csv`` is not available
offline.

File layout (``ABAGEN.md``): ``<root>/microarray/normalized_microarray_donor{ID}/``
with ``MicroarrayExpression.csv`` and ``PACall.csv`` (no header; probe id, then
one column per sample), ``Probes.csv``, ``SampleAnnot.csv`` and ``Ontology.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Rows of abagen's bundled coordinate table that belong to each donor: per-donor
#: blocks whose sizes match the donors' sample counts (ABAGEN.md gives 12876 and
#: 15496). The other four are inferred the same way (946 and 893 samples for the
#: two-hemisphere donors 9861 and 10021, whose blocks are half right hemisphere;
#: 529 and 501 for 14380 and 15697, told apart by their well-id ranges), not documented.
DONOR_ROWS = {
    "14380": (0, 529),
    "9861": (529, 1475),
    "15697": (1475, 1976),
    "12876": (1976, 2339),
    "10021": (2339, 3232),
    "15496": (3232, 3702),
}
#: The two donors of the default fixture.
TWO_DONORS = ("12876", "15496")
#: Fabricated cortical structures: (id, acronym, name, lower y bound in mm).
STRUCTURES = (
    (10001, "OCX", "occipital cortex (fixture)", -200.0),
    (10002, "PCX", "parietal cortex (fixture)", -60.0),
    (10003, "TCX", "central cortex (fixture)", -25.0),
    (10004, "FCX", "frontal cortex (fixture)", 10.0),
)


def planted_field(coords: np.ndarray, gene_index: int, n_bumps: int = 3) -> np.ndarray:
    """The SYNTHETIC smooth field of gene ``gene_index`` at MNI ``coords`` (values in [0, 1])."""
    rng = np.random.default_rng(1000 + gene_index)
    centres = rng.uniform([-70, -100, -40], [70, 60, 70], size=(n_bumps, 3))
    weights = rng.uniform(0.3, 1.0, size=n_bumps)
    squared = ((coords[:, None, :] - centres[None]) ** 2).sum(-1)
    field = (weights * np.exp(-squared / (2 * 35.0**2))).sum(-1)
    return field / weights.sum()


def choose_genes(
    reannotated: pd.DataFrame, n_genes: int, probes_per_gene: int, include: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Pick real genes (``include`` first) with at least ``probes_per_gene`` real probes each."""
    counts = reannotated.groupby("gene_symbol")["probe_name"].count()
    eligible = counts[counts >= probes_per_gene].index.sort_values()
    absent = sorted(set(include) - set(eligible))
    if absent:
        raise ValueError(f"Genes {absent} have fewer than {probes_per_gene} probes.")
    chosen = list(include) + [g for g in eligible if g not in include][: n_genes - len(include)]
    rows = reannotated[reannotated["gene_symbol"].isin(chosen)]
    return rows.groupby("gene_symbol").head(probes_per_gene).reset_index(drop=True)


def make_ahba_fixture(
    root: str | Path,
    abagen_package_dir: str | Path,
    n_genes: int = 24,
    probes_per_gene: int = 2,
    include: tuple[str, ...] = ("PVALB", "PPP1R1B"),
    noise: float = 0.05,
    seed: int = 0,
    donors: tuple[str, ...] = TWO_DONORS,
    donor_genes: float = 0.0,
) -> dict:
    """Write the fixture under ``root`` and return what a test needs to check the output.

    Parameters
    ----------
    root : path
        Becomes abagen's ``data_dir`` (the donor folders go to ``root/microarray``).
    abagen_package_dir : path
        The installed ``abagen`` package folder (its ``data/`` holds the real tables).
    n_genes, probes_per_gene : int
        Real genes and probes per gene to include.
    include : tuple of str
        Genes that must be among them (those Chapter 1 plots).
    donors : tuple of str
        AHBA donor ids (keys of :data:`DONOR_ROWS`); only their left-hemisphere
        samples are written.
    donor_genes : float
        0 (default): every gene follows its own planted field, the same in every
        donor. Above 0, for donor generalisability: the first ``1 - donor_genes``
        of the genes all follow one *shared* field (:func:`planted_field` of
        index 0), the rest one field *of their donor's own* (index 100 + the
        donor's position), so components of the first kind generalise across
        donors and those of the second do not.

    Returns
    -------
    dict
        ``genes`` (symbols), ``donors``, ``coords`` (sample MNI mm per donor) and
        ``field`` (a function ``(coords, gene) -> planted values``; with
        ``donor_genes`` it is ``(coords, gene, donor)``), ``shared_genes`` and
        ``donor_genes`` (symbols of each kind).
    """
    root = Path(root)
    data = Path(abagen_package_dir) / "data"
    coordinates = pd.read_csv(data / "corrected_mni_coordinates.csv.gz")
    reannotated = pd.read_csv(data / "reannotated.csv.gz")
    probes = choose_genes(reannotated, n_genes, probes_per_gene, include)
    probes.insert(0, "probe_id", 1_000_001 + np.arange(len(probes)))
    genes = sorted(probes["gene_symbol"].unique())
    gene_index = {gene: genes.index(gene) for gene in genes}
    n_shared = round(len(genes) * (1 - donor_genes))

    def field(xyz, gene, donor=None):
        if not donor_genes:
            return planted_field(np.asarray(xyz), gene_index[gene])
        if gene_index[gene] < n_shared:
            return planted_field(np.asarray(xyz), 0)
        return planted_field(np.asarray(xyz), 100 + donors.index(donor))

    probe_table = pd.DataFrame(
        {
            "probe_id": probes["probe_id"],
            "probe_name": probes["probe_name"],
            "gene_id": 500_000 + np.arange(len(probes)),
            "gene_symbol": probes["gene_symbol"],
            "gene_name": probes["gene_symbol"] + " (fixture)",
            "entrez_id": probes["entrez_id"],
            "chromosome": "1",
        }
    )
    ontology = pd.DataFrame(
        {
            "id": [s[0] for s in STRUCTURES],
            "acronym": [s[1] for s in STRUCTURES],
            "name": [s[2] for s in STRUCTURES],
            "parent_structure_id": 4008,
            "hemisphere": "L",
            "graph_order": np.arange(len(STRUCTURES)) + 1,
            "structure_id_path": [f"/4005/4006/4007/4008/{s[0]}/" for s in STRUCTURES],
            "color_hex_triplet": "AAAAAA",
        }
    )
    rng = np.random.default_rng(seed)
    sample_coords = {}
    for donor_number, donor in enumerate(donors):
        start, stop = DONOR_ROWS[donor]
        block = coordinates.iloc[start:stop]
        # The fabricated structures are left-hemisphere ones; right and midline
        # samples (x >= 0 after correction) would need bilateral ones: left out.
        block = block[block["corrected_mni_x"] < 0].reset_index(drop=True)
        xyz = block[["corrected_mni_x", "corrected_mni_y", "corrected_mni_z"]].to_numpy()
        sample_coords[donor] = xyz
        bounds = np.array([s[3] for s in STRUCTURES])
        structure = np.array([s[0] for s in STRUCTURES])[np.searchsorted(bounds, xyz[:, 1]) - 1]
        acronym = {s[0]: s[1] for s in STRUCTURES}
        names = {s[0]: s[2] for s in STRUCTURES}
        annotation = pd.DataFrame(
            {
                "structure_id": structure,
                "slab_num": 1,
                "well_id": block["well_id"],
                "slab_type": "CX",
                "structure_acronym": [acronym[s] for s in structure],
                "structure_name": [names[s] for s in structure],
                "polygon_id": 2_000_000 + np.arange(len(block)),
                "mri_voxel_x": 100,
                "mri_voxel_y": 100,
                "mri_voxel_z": 100,
                "mni_x": xyz[:, 0],
                "mni_y": xyz[:, 1],
                "mni_z": xyz[:, 2],
            }
        )
        fields = np.stack([field(xyz, g, donor) for g in probes["gene_symbol"]])
        values = 4.0 + 6.0 * fields + 0.3 * donor_number
        values += noise * rng.standard_normal(values.shape)
        pacall = (rng.random(values.shape) < 0.95).astype(int)
        folder = root / "microarray" / f"normalized_microarray_donor{donor}"
        folder.mkdir(parents=True, exist_ok=True)
        ids = probes["probe_id"].to_numpy()
        for table, filename in ((values, "MicroarrayExpression.csv"), (pacall, "PACall.csv")):
            frame = pd.DataFrame(table)
            frame.insert(0, "probe_id", ids)
            frame.to_csv(folder / filename, header=False, index=False, float_format="%.5f")
        probe_table.to_csv(folder / "Probes.csv", index=False)
        annotation.to_csv(folder / "SampleAnnot.csv", index=False)
        ontology.to_csv(folder / "Ontology.csv", index=False)
    return {
        "genes": genes,
        "donors": list(donors),
        "coords": sample_coords,
        "field": field,
        "shared_genes": genes[:n_shared],
        "donor_genes": genes[n_shared:],
    }
