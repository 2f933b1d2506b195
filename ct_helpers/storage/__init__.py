"""Atomic, checksummed files: every file the data folder holds goes through here.

One mechanism serves datasets, spaces, caches, sweep cells, prediction tables,
models, checkpoints and downloads (the book's *What happens when things go
wrong* in ``book/running.md`` explains it to readers):

* **Atomic writes.** A file is written to a temporary name in its own folder
  (``.<name>.<host>-<pid>.<random>.part``) and moved into place with
  :func:`os.replace`, so a crash never leaves a half-written file under the
  final name. Temporaries left by a process that died are removed the next
  time anything writes or checks that name (:func:`remove_stale_temporaries`).
* **Records** (small JSON files: side-cars, sweep cells, dataset descriptions)
  carry the sha256 of their own content (:func:`write_record`,
  :func:`read_record`): a truncated, empty or edited record is named in a
  :class:`CacheError`, never a bare ``JSONDecodeError`` or ``KeyError``.
* **Checked files** (arrays, tables, models, checkpoints, images) have a
  side-car record with their sha256 and size (:func:`write_checked`,
  :func:`verify_checked`). File and side-car are committed as one unit: the new
  side-car is first written under a *pending* name, then the file is moved into
  place, then the pending side-car. A reader that finds the file newer than its
  side-car completes the commit from the pending side-car (a kill between the
  two moves loses nothing); any other mismatch is damage and is named.

Callers decide what damage means: a cache is rebuilt, a download fetched again,
a sweep cell recomputed, a checkpoint restarted (with a logged warning), and a
reader's own saved model or dataset gives the error, naming the file.

Besides files, a few intermediate results are kept in memory for the next fit
on the same data (:class:`KeptInMemory`); :func:`forget_kept_results` frees
them all.
"""

from .cached import (
    cache_key,
    cached_table,
    load_array,
    load_table,
    save_array,
    save_table,
    verified_or_removed,
)
from .files import (
    STALE_AFTER_SECONDS,
    CacheError,
    atomic_folder,
    atomic_path,
    remove_stale_temporaries,
    restore_interrupted_folder,
    sha256_file,
    temporary_folder,
)
from .kept import KeptInMemory, forget_kept_results
from .records import (
    RECORD_CHECKSUM,
    read_record,
    remove_checked,
    sidecar_path,
    verify_checked,
    write_checked,
    write_record,
)

__all__ = [
    "RECORD_CHECKSUM",
    "STALE_AFTER_SECONDS",
    "CacheError",
    "KeptInMemory",
    "forget_kept_results",
    "atomic_folder",
    "atomic_path",
    "cache_key",
    "cached_table",
    "load_array",
    "load_table",
    "read_record",
    "remove_checked",
    "remove_stale_temporaries",
    "restore_interrupted_folder",
    "save_array",
    "save_table",
    "sha256_file",
    "sidecar_path",
    "temporary_folder",
    "verified_or_removed",
    "verify_checked",
    "write_checked",
    "write_record",
]
