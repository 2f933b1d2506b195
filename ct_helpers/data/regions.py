"""Rows named by brain region: match a reader's region names to an atlas the book knows.

Region tables from other tools name the same Desikan-Killiany region in
different ways: ``bankssts`` with a hemisphere column (abagen),
``L_bankssts`` and ``Laccumb`` (the ENIGMA toolbox), ``L_bankssts`` and
``L_accumbensarea`` (imaging-transcriptomics), ``ctx-lh-bankssts`` and
``Left-Accumbens-area`` (FreeSurfer). :func:`region_key` reduces each name to
one key (hemisphere, region), so :func:`match_regions` can place every row of
a table on an atlas: the book's Desikan-Killiany-83 (``"dk83"``, 68 cortical
regions, 14 subcortical, brainstem), its cortical part (``"dk68"``) and
Schaefer-100 (``"schaefer100"``), or a reader's own atlas with a labels table.
Names that match no region are listed with the closest known names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..messages import few

#: Region names the book's atlases may be asked for (see :func:`atlas_regions`).
KNOWN_ATLASES = ("dk83", "dk68", "schaefer100")

#: Short and alternative names of Desikan-Killiany subcortical regions and the brainstem.
REGION_ALIASES = {
    "accumb": "accumbensarea",
    "accumbens": "accumbensarea",
    "amyg": "amygdala",
    "caud": "caudate",
    "hippo": "hippocampus",
    "pal": "pallidum",
    "put": "putamen",
    "thal": "thalamusproper",
    "thalamus": "thalamusproper",
    "brainstem": "brainstem",
}

_HEMISPHERE_PREFIX = re.compile(r"^(?:ctx[-_.]?)?(left|right|lh|rh|l|r)[-_. ]+(.+)$")
_HEMISPHERE_SUFFIX = re.compile(r"^(.+?)[-_. ]+(left|right|lh|rh|l|r)$")
_ENIGMA_SUBCORTEX = re.compile(r"^(l|r)(accumb|amyg|caud|hippo|pal|put|thal|latvent)$")
_SCHAEFER = re.compile(r"^(?:\d+networks_)?(lh|rh)_([a-z]+(?:_[a-z0-9]+)*_\d+)$")


def region_key(name: str, hemisphere: str | None = None) -> tuple[str, str]:
    """Reduce a region name in any common convention to ``(hemisphere, region)``.

    ``hemisphere`` is ``"L"``, ``"R"`` or ``""`` (midline, e.g. the brainstem);
    ``region`` is lower case without separators, with subcortical short names
    spelled out (:data:`REGION_ALIASES`). A separate ``hemisphere`` (L/R,
    left/right, lh/rh) is used when the name has none.

    Examples
    --------
    >>> names = ("L_bankssts", "ctx-lh-bankssts", "Laccumb", "Left-Accumbens-area", "Brain-Stem")
    >>> [region_key(name) for name in names]  # doctest: +NORMALIZE_WHITESPACE
    [('L', 'bankssts'), ('L', 'bankssts'), ('L', 'accumbensarea'), ('L', 'accumbensarea'),
     ('', 'brainstem')]
    >>> region_key("7Networks_RH_SomMot_2"), region_key("insula", hemisphere="right")
    (('R', 'sommot_2'), ('R', 'insula'))
    """
    text = str(name).strip().lower()
    side = ""
    schaefer = _SCHAEFER.match(text)
    enigma = _ENIGMA_SUBCORTEX.match(text)
    if schaefer:
        side, text = schaefer.group(1), schaefer.group(2)
        return side[0].upper(), re.sub(r"[^a-z0-9_]", "", text)
    if enigma:
        side, text = enigma.groups()
    elif match := _HEMISPHERE_PREFIX.match(text):
        side, text = match.groups()
    elif match := _HEMISPHERE_SUFFIX.match(text):
        text, side = match.groups()
    region = re.sub(r"[^a-z0-9]", "", text.removeprefix("ctx"))
    region = REGION_ALIASES.get(region, region)
    if not side and hemisphere is not None and str(hemisphere).strip():
        side = str(hemisphere).strip().lower()
    side = {"left": "L", "lh": "L", "l": "L", "right": "R", "rh": "R", "r": "R"}.get(side, "")
    return side, region


#: FreeSurfer's names of the Desikan-Killiany subcortical regions (``Left-<name>``).
FREESURFER_SUBCORTEX = {
    "accumbensarea": "Accumbens-area",
    "amygdala": "Amygdala",
    "caudate": "Caudate",
    "hippocampus": "Hippocampus",
    "pallidum": "Pallidum",
    "putamen": "Putamen",
    "thalamusproper": "Thalamus-Proper",
}
_ENIGMA_SHORT = {
    long: short
    for short, long in REGION_ALIASES.items()
    if short not in ("accumbens", "thalamus", "brainstem")
}


def _freesurfer(side: str, region: str, name: str) -> str:
    if not side:
        return "Brain-Stem" if region == "brainstem" else region
    if region in FREESURFER_SUBCORTEX:
        return f"{'Left' if side == 'L' else 'Right'}-{FREESURFER_SUBCORTEX[region]}"
    return f"ctx-{side.lower()}h-{region}"


def _enigma(side: str, region: str, name: str) -> str:
    if region in _ENIGMA_SHORT and side:
        return f"{side}{_ENIGMA_SHORT[region]}"
    return f"{side}_{region}" if side else region


#: How each tool writes a region, from its key ``(side, region)`` and the atlas's own name.
NAMING_CONVENTIONS = {
    "book": lambda side, region, name: name,
    "FreeSurfer": _freesurfer,
    "ENIGMA toolbox": _enigma,
    "imaging-transcriptomics": lambda side, region, name: f"{side}_{region}" if side else region,
    "abagen": lambda side, region, name: region,
}


def naming_convention(names: Sequence[str], atlas_names: Sequence[str]) -> str:
    """Return the convention of :data:`NAMING_CONVENTIONS` that ``names`` follow.

    ``atlas_names`` are the atlas's own names of the regions ``names`` matched
    (same order); the convention that writes most of them exactly as the
    reader did wins, the book's own when none does.

    Examples
    --------
    >>> naming_convention(["ctx-lh-insula", "Left-Thalamus-Proper"],
    ...                   ["L_insula", "L_thalamusproper"])
    'FreeSurfer'
    """
    keys = [region_key(name) for name in atlas_names]
    scores = {
        convention: sum(
            render(*key, atlas) == str(name)
            for name, key, atlas in zip(names, keys, atlas_names, strict=True)
        )
        for convention, render in NAMING_CONVENTIONS.items()
    }
    best = max(scores, key=scores.get)
    return best if scores[best] else "book"


def suggest_regions(
    name: str, regions: pd.DataFrame, convention: str = "book", n: int = 3
) -> list[str]:
    """Return the regions closest to a name that matched none, in the reader's own convention.

    Candidates lie in the name's hemisphere when it has one; they are written
    the way ``convention`` (:func:`naming_convention`) writes regions.

    Examples
    --------
    >>> regions = pd.DataFrame({"name": ["L_bankssts", "R_bankssts", "L_insula"]})
    >>> suggest_regions("ctx-lh-bankstss", regions, "FreeSurfer")
    ['ctx-lh-bankssts']
    """
    side, region = region_key(name)
    hemispheres = regions["hemisphere"] if "hemisphere" in regions else [None] * len(regions)
    candidates: dict[str, str] = {}
    for atlas_name, atlas_side in zip(regions["name"].astype(str), hemispheres, strict=True):
        key = region_key(atlas_name, atlas_side)
        if side and key[0] != side:  # the name's own hemisphere only
            continue
        written = NAMING_CONVENTIONS[convention](*key, atlas_name)
        candidates.setdefault(key[1], written)
    close = difflib.get_close_matches(region, list(candidates), n=n, cutoff=0.5)
    return [candidates[c] for c in close]


@dataclass
class RegionMatch:
    """Where each named row of a table lies in an atlas.

    ``labels`` holds the atlas label of every row (0 where unmatched),
    ``unmatched`` the row positions that match no region, ``suggestions``
    the closest known names for each unmatched name, written in the
    convention of the table's other names (``convention``) and in the
    name's own hemisphere.
    """

    labels: np.ndarray
    unmatched: list[int]
    suggestions: dict[str, list[str]]
    atlas: str
    convention: str = "book"

    def check(self, names: Sequence[str], source: str = "table") -> None:
        """Raise a ValueError that lists every unmatched name with its closest known names."""
        if not self.unmatched:
            return
        lines = [
            f"  {str(names[i])!r}: did you mean "
            f"{', '.join(self.suggestions.get(str(names[i])) or ['none close'])}?"
            for i in self.unmatched[:10]
        ]
        more = "" if len(self.unmatched) <= 10 else f"\n  ... and {len(self.unmatched) - 10} more"
        raise ValueError(
            f"{source}: {len(self.unmatched)} of {len(names)} region names match no region of "
            f"the {self.atlas} atlas (names read as {self.convention} names):\n"
            + "\n".join(lines)
            + more
            + "\nRename them, drop those rows, or pass the atlas "
            "they come from (atlas=..., atlas_labels=...)."
        )


def match_regions(
    names: Sequence[str],
    regions: pd.DataFrame,
    hemispheres: Sequence[str] | None = None,
    atlas: str = "given",
) -> RegionMatch:
    """Find the atlas label of every region name, in any naming convention.

    Parameters
    ----------
    names : sequence of str
        One region name per row of the reader's table.
    regions : pandas.DataFrame
        The atlas's regions, indexed by label, with a ``name`` column (and an
        optional ``hemisphere`` column, L/R), as :func:`atlas_regions` returns.
    hemispheres : sequence of str, optional
        A hemisphere per row, for names without one (abagen's tables).
    atlas : str
        Name of the atlas, for messages.

    Returns
    -------
    RegionMatch
        Labels per row; call :meth:`RegionMatch.check` to raise on unmatched names.

    Examples
    --------
    >>> regions = pd.DataFrame({"name": ["L_insula", "R_insula"]}, index=[7, 8])
    >>> match_regions(["ctx-rh-insula", "lh_insula"], regions).labels.tolist()
    [8, 7]
    """
    known_hemispheres = regions["hemisphere"] if "hemisphere" in regions else [None] * len(regions)
    keys = {}
    for label, name, side in zip(regions.index, regions["name"], known_hemispheres, strict=True):
        keys.setdefault(region_key(name, side), int(label))
    sides = [None] * len(names) if hemispheres is None else list(hemispheres)
    labels = np.zeros(len(names), dtype=np.int64)
    unmatched = []
    for row, (name, side) in enumerate(zip(names, sides, strict=True)):
        label = keys.get(region_key(name, side))
        if label is None:
            unmatched.append(row)
        else:
            labels[row] = label
    matched = np.flatnonzero(labels)
    convention = naming_convention(
        [str(names[i]) for i in matched], regions.loc[labels[matched], "name"].astype(str).tolist()
    )
    if not len(matched) and unmatched:  # nothing matched: guess from the names' shape
        first = str(names[unmatched[0]])
        freesurfer = first.lower().startswith(("ctx-", "left-", "right-"))
        convention = "FreeSurfer" if freesurfer else "book"
    suggestions = {
        str(names[row]): suggest_regions(str(names[row]), regions, convention) for row in unmatched
    }
    seen, repeated = set(), []
    for row, label in enumerate(labels):
        if label and label in seen:
            repeated.append(str(names[row]))
        seen.add(label)
    if repeated:
        raise ValueError(f"Several rows name the same {atlas} region: {few(repeated)}.")
    return RegionMatch(labels, unmatched, suggestions, atlas, convention)


__all__ = [
    "FREESURFER_SUBCORTEX",
    "KNOWN_ATLASES",
    "NAMING_CONVENTIONS",
    "REGION_ALIASES",
    "RegionMatch",
    "match_regions",
    "naming_convention",
    "region_key",
    "suggest_regions",
]
