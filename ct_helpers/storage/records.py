"""Self-checked JSON records, and files committed with their checksum side-car as one unit."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..config import package_versions
from .files import CacheError, atomic_path, fsync_file, remove_stale_temporaries, sha256_file

logger = logging.getLogger(__name__)

#: Key under which a record stores the sha256 of its own content.
RECORD_CHECKSUM = "record_sha256"


def json_default(value: Any) -> Any:
    """Turn NumPy values and paths into JSON; anything else is refused."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Cannot store {type(value).__name__} in JSON provenance.")


# ------------------------------------------------------------------------ records


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, default=json_default).encode()


def write_record(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON, atomically, with the sha256 of its own content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> read_record(write_record(p, {"k": 2}))["k"]
    2
    """
    if RECORD_CHECKSUM in payload:
        raise ValueError(f"{RECORD_CHECKSUM!r} is reserved for the record's own checksum.")
    payload = json.loads(_canonical(payload))  # plain JSON types, as they will be read back
    checksum = hashlib.sha256(_canonical(payload)).hexdigest()
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({**payload, RECORD_CHECKSUM: checksum}, indent=2, sort_keys=True))
    return Path(path)


def read_record(
    path: str | os.PathLike, kind: str | None = None, require: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Read a record written by :func:`write_record`, checking it is complete and unedited.

    Parameters
    ----------
    path : str or path-like
        The JSON record.
    kind : str, optional
        Expected value of the record's ``"format"`` key.
    require : tuple of str
        Keys the record must have.

    Raises
    ------
    CacheError
        Naming ``path`` when it is missing, empty, truncated, not JSON, has no
        or a wrong checksum, is of another format or lacks a required key.
    """
    path = Path(path)
    remove_stale_temporaries(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CacheError(f"{path} is missing.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CacheError(f"{path} cannot be read ({error}).") from None
    if not text.strip():
        raise CacheError(f"{path} is empty (an interrupted write or a full disk).")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise CacheError(f"{path} is truncated or not JSON ({error}).") from None
    if not isinstance(payload, dict) or RECORD_CHECKSUM not in payload:
        raise CacheError(
            f"{path} has no checksum of its own: it was edited, damaged or written by an "
            "older ct_helpers."
        )
    recorded = payload.pop(RECORD_CHECKSUM)
    if hashlib.sha256(_canonical(payload)).hexdigest() != recorded:
        raise CacheError(f"{path} was edited or damaged: its content does not match its checksum.")
    if kind is not None and payload.get("format") != kind:
        raise CacheError(f"{path} is a {payload.get('format')!r} record, not {kind!r}.")
    missing = [key for key in require if key not in payload]
    if missing:
        raise CacheError(f"{path} lacks {', '.join(missing)}.")
    return payload


# ------------------------------------------------------------------------ checked files


def sidecar_path(path: str | os.PathLike) -> Path:
    """Return the side-car record path of a checked file: ``path`` + ``.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def _pending_sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.json.pending")


def write_checked(
    path: str | os.PathLike, write: Callable[[Path], Any], record: dict[str, Any] | None = None
) -> Path:
    """Write a file with ``write(temporary_path)`` and commit it with its side-car as one unit.

    The side-car (``path`` + ``.json``) holds ``record``, the file's sha256 and
    size, and package versions. Order of the commit: pending side-car, file,
    side-car; :func:`verify_checked` completes a commit that a kill interrupted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
    >>> _ = write_checked(p, lambda tmp: tmp.write_bytes(b"weights"), {"what": "example"})
    >>> verify_checked(p)["what"]
    'example'
    """
    path = Path(path)
    pending = _pending_sidecar(path)
    with atomic_path(path) as tmp:
        write(tmp)
        fsync_file(tmp)
        facts = {
            "sha256": sha256_file(tmp),
            "bytes": tmp.stat().st_size,
            "versions": package_versions(),
        }
        write_record(pending, {**(record or {}), **facts})
    os.replace(pending, sidecar_path(path))
    return path


def verify_checked(path: str | os.PathLike) -> dict[str, Any]:
    """Check a file written by :func:`write_checked` and return its side-car record.

    Raises
    ------
    CacheError
        Naming the file when it or its side-car is missing, or when its size or
        sha256 differ from the side-car (truncated, edited, damaged).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    sidecar, pending = sidecar_path(path), _pending_sidecar(path)
    if not path.exists():
        raise CacheError(
            f"{path} is missing" + (" although its side-car exists." if sidecar.exists() else ".")
        )
    actual = sha256_file(path)
    problem = None
    try:
        record = read_record(sidecar, require=("sha256",))
    except CacheError as error:
        record, problem = None, str(error)
    if record is not None and record["sha256"] == actual:
        pending.unlink(missing_ok=True)  # a commit that never reached the file
        return record
    if pending.exists():
        try:
            candidate = read_record(pending, require=("sha256",))
        except CacheError:
            candidate = None
        if candidate is not None and candidate["sha256"] == actual:
            os.replace(pending, sidecar)  # finish the commit a kill interrupted
            logger.info("Completed the interrupted write of %s.", path)
            return candidate
    if record is not None:
        size = path.stat().st_size
        problem = (
            f"{path} is truncated, edited or damaged: {size} bytes with sha256 "
            f"{actual[:12]}..., its side-car records {record.get('bytes', '?')} bytes "
            f"with sha256 {record['sha256'][:12]}..."
        )
    raise CacheError(problem if problem else f"{path} cannot be verified.")


def remove_checked(path: str | os.PathLike) -> None:
    """Delete a checked file with its side-car, pending side-car and temporaries."""
    path = Path(path)
    for part in (path, sidecar_path(path), _pending_sidecar(path)):
        part.unlink(missing_ok=True)
    remove_stale_temporaries(path)
