"""Atomic writes, checksums of files, and temporaries that a dead process left behind."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

_CHUNK = 1 << 22
#: A temporary from another machine (a shared cluster folder) is stale after this long.
STALE_AFTER_SECONDS = 24 * 3600


class CacheError(RuntimeError):
    """A stored file is missing, truncated, edited or does not match its checksum.

    The message always names the file.
    """


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------ temporaries


def _host() -> str:
    return "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:32] or "host"


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove temporaries of ``path`` left by processes that are gone; return them.

    A temporary of this machine is stale when its process no longer runs; one
    written on another machine (a data folder shared by a cluster) when it is
    older than :data:`STALE_AFTER_SECONDS`. Temporaries of live writers are kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> stale = target.with_name(".a.npy.deadhost-1.x.part")
    >>> _ = stale.write_bytes(b"half")
    >>> import os; os.utime(stale, (0, 0))
    >>> [p.name for p in remove_stale_temporaries(target)]
    ['.a.npy.deadhost-1.x.part']
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    removed = []
    host = _host()
    for candidate in path.parent.glob(f"{_temporary_prefix(path)}*.part"):
        writer = candidate.name[len(_temporary_prefix(path)) :].split(".", 1)[0]
        writer_host, _, pid = writer.rpartition("-")
        try:
            if writer_host == host and pid.isdigit():
                if _process_alive(int(pid)):
                    continue
            elif time.time() - candidate.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            if candidate.is_dir():
                shutil.rmtree(candidate)
            else:
                candidate.unlink()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        removed.append(candidate)
        logger.info("Removed %s, left by an interrupted write.", candidate)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file is removed if the block raises, so ``path`` either
    keeps its old content or gets the complete new one. The data are flushed
    to disk before the move. Stale temporaries of ``path`` are cleaned first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "result.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f"{_temporary_prefix(path)}{_host()}-{os.getpid()}.", suffix=".part", dir=path.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder next to ``path``; on success it replaces ``path``.

    An existing ``path`` is first moved aside to ``.<name>.previous`` and
    removed once the new folder is in place; :func:`restore_interrupted_folder`
    puts it back if a kill struck between the two moves.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "bundle"
    >>> with atomic_folder(target) as staging:
    ...     _ = (staging / "a.txt").write_text("a")
    >>> sorted(p.name for p in target.iterdir())
    ['a.txt']
    """
    path = Path(path)
    restore_interrupted_folder(path)
    staging = temporary_folder(path)
    previous = _previous_folder(path)
    try:
        yield staging
        if path.exists():
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(path, previous)
        os.replace(staging, path)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def temporary_folder(path: str | os.PathLike) -> Path:
    """Make an empty working folder for ``path``, named so that it is cleaned if its process dies.

    Stale working folders of ``path`` (their process is gone) are removed first;
    the caller removes this one when done.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    return Path(
        tempfile.mkdtemp(
            prefix=f"{_temporary_prefix(path)}{_host()}-{os.getpid()}.",
            suffix=".part",
            dir=path.parent,
        )
    )


def _previous_folder(path: Path) -> Path:
    return path.with_name(f".{path.name}.previous")


def restore_interrupted_folder(path: str | os.PathLike) -> None:
    """Undo a folder replacement that a kill interrupted (see :func:`atomic_folder`)."""
    path = Path(path)
    previous = _previous_folder(path)
    if previous.exists():
        if path.exists():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.replace(previous, path)
            logger.warning("Restored %s, whose replacement was interrupted.", path)


def fsync_file(path: Path) -> None:
    """Flush a written file to disk before it is moved into place."""
    if path.is_file():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
