"""Model files that run no code when read: arrays and JSON, or a pickle signed here.

A fitted compressor is shared the way Chapter 6 teaches: saved by one reader,
loaded by another. Loading someone else's pickle runs whatever it holds, so:

* **Arrays and JSON** (format ``ct-arrays-1``) for every compressor whose state
  is numbers, text and estimators of ``ct_helpers`` or scikit-learn (PCA,
  kernel PCA, NMF, the scaler, the learned decoder): one ``.npz`` read with
  ``allow_pickle=False`` and a JSON tree that names each object's class. A class
  is rebuilt only if it is a scikit-learn estimator defined in ``ct_helpers``
  or ``sklearn``; its attributes are set from the arrays and JSON, so no method
  of the file's choosing runs. The auto-encoder saves weights only
  (``torch.load(weights_only=True)``).
* **A signed pickle** (format ``pickle-signed``) for t-SNE and UMAP, whose state
  holds compiled neighbour indexes that have no array form. The side-car carries
  an HMAC-SHA256 of the file made with a key kept in this installation's data
  folder (``$CT_DATA/keys/model-signing.key``, created on first use): a pickle
  written here loads; any other is refused with :class:`UntrustedModelFileError`
  before a byte of it is unpickled, unless the caller passes ``trusted=True``.

Examples
--------
>>> import tempfile
>>> from ct_helpers.compressors import PCACompressor
>>> X = np.random.default_rng(0).random((20, 6)).astype(np.float32)  # SYNTHETIC
>>> model = PCACompressor(n_components=2, random_state=0).fit(X)
>>> folder = tempfile.mkdtemp()
>>> path = save_model(model, folder + "/pca.npz", data_dir=folder)
>>> bool(np.allclose(load_model(path, data_dir=folder).transform(X), model.transform(X)))
True
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
import json
import os
import pickle
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..config import data_folder
from ..data.preprocessing import ExpressionScaler
from ..storage import CacheError, atomic_path, verify_checked, write_checked

ARRAYS_FORMAT = "ct-arrays-1"
SIGNED_PICKLE_FORMAT = "pickle-signed"
#: Packages whose estimator classes an arrays-and-JSON file may name.
TRUSTED_PACKAGES = ("ct_helpers.", "sklearn.")
#: Classes of those packages that are not scikit-learn estimators but store as arrays too.
STORABLE_CLASSES = (ExpressionScaler,)


class UntrustedModelFileError(ValueError):
    """A model file would run code when read and was not written by this installation."""


class _NotStorable(TypeError):
    """A value with no arrays-and-JSON form (a compiled index, a function ...)."""


def save_model(model, path: str | os.PathLike, record: dict | None = None, data_dir=None) -> Path:
    """Write ``model`` to ``path`` as arrays and JSON, else as a pickle signed with this key.

    ``record`` goes into the checksummed side-car (``path`` + ``.json``).
    """
    record = dict(record or {})
    try:
        tree, arrays = _encode_root(model)
    except _NotStorable:
        payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        record.update(format=SIGNED_PICKLE_FORMAT, hmac_sha256=_signature(payload, data_dir))
        return write_checked(path, lambda tmp: tmp.write_bytes(payload), record)
    arrays["__tree__"] = np.array(json.dumps(tree))

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    return write_checked(path, write, {**record, "format": ARRAYS_FORMAT})


def load_model(path: str | os.PathLike, trusted: bool = False, data_dir=None):
    """Read a file of :func:`save_model`, running no code from it unless ``trusted=True``.

    Raises
    ------
    UntrustedModelFileError
        For a pickle whose side-car carries no valid signature of this
        installation's key (made elsewhere, or edited).
    CacheError
        When the file or its side-car is missing or damaged.
    """
    path = Path(path)
    meta = verify_checked(path)  # names the file when it or its side-car is missing or damaged
    kind = meta.get("format", "pickle")
    if kind in SAVED_FORMAT_LOADERS:  # e.g. the auto-encoder's weights-only PyTorch file
        return SAVED_FORMAT_LOADERS[kind](path)
    if kind == ARRAYS_FORMAT:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        return _decode(json.loads(str(arrays.pop("__tree__"))), arrays, path)
    payload = path.read_bytes()
    signed = kind == SIGNED_PICKLE_FORMAT and hmac.compare_digest(
        str(meta.get("hmac_sha256", "")), _signature(payload, data_dir, create=False)
    )
    if not (signed or trusted):
        raise UntrustedModelFileError(
            f"{path} is a pickle ({kind}) that this installation did not sign: reading it would "
            "run whatever code it holds. Load it only if you trust whoever made it: "
            "load_compressor(path, trusted=True)."
        )
    return _RenamedModulesUnpickler(io.BytesIO(payload)).load()


#: Readers of formats saved by a compressor's own ``save`` (format name -> ``loader(path)``).
SAVED_FORMAT_LOADERS: dict[str, Callable[[Path], Any]] = {}


def register_saved_format(kind: str, loader: Callable[[Path], Any]) -> None:
    """Let :func:`load_model` read files whose side-car ``format`` is ``kind``.

    For compressors that save something safer than a pickle (the auto-encoder
    saves weights only); ``loader(path)`` returns the fitted compressor.
    """
    SAVED_FORMAT_LOADERS[kind] = loader


# ------------------------------------------------------------------ signing


def _signature(payload: bytes, data_dir=None, create: bool = True) -> str:
    key_path = data_folder("keys", data_dir) / "model-signing.key"
    if not key_path.exists():
        if not create:
            return ""
        with atomic_path(key_path) as tmp:
            tmp.write_bytes(secrets.token_bytes(32))
            tmp.chmod(0o600)
    return hmac.new(key_path.read_bytes(), payload, hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ arrays and JSON


def _encode_root(model) -> tuple[Any, dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {}
    return _encode(model, arrays), arrays


def _encode(value, arrays: dict[str, np.ndarray]):
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    # Python and numpy scalars stay apart: numpy promotes float32 arrays by a np.float64
    # but not by a Python float, so a changed type would change the codes
    if isinstance(value, np.integer | np.floating):  # before float: np.float64 is a float
        return {"scalar": repr(value.item()), "dtype": value.dtype.str}
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"float": repr(value)}
    if type(value) in (np.ndarray, np.memmap):  # not a subclass (openTSNE's embedding is one)
        if value.dtype == object:
            if not all(isinstance(item, str) for item in value.ravel()):
                raise _NotStorable("an object array that is not text")
            value = value.astype(str)
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, list | tuple):
        return {
            "tuple" if isinstance(value, tuple) else "list": [_encode(v, arrays) for v in value]
        }
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise _NotStorable("a dict with keys that are not text")
        return {"dict": {key: _encode(item, arrays) for key, item in value.items()}}
    if isinstance(value, pd.DataFrame):
        return {"frame": value.to_json(orient="split", double_precision=15)}
    if _storable(type(value)):
        cls = type(value)
        return {
            "object": f"{cls.__module__}:{cls.__qualname__}",
            "state": _encode(vars(value), arrays),
        }
    raise _NotStorable(f"{type(value).__module__}.{type(value).__qualname__}")


def _decode(node, arrays: dict[str, np.ndarray], path: Path):
    if node is None or isinstance(node, bool | str):
        return node
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise CacheError(f"{path}: not a model file of this package (unknown node {node!r:.60}).")
    if "int" in node:
        return int(node["int"])
    if "float" in node:
        return float(node["float"])
    if "scalar" in node:
        return np.dtype(node["dtype"]).type(node["scalar"])
    if "array" in node:
        return arrays[node["array"]]
    if "list" in node or "tuple" in node:
        items = [_decode(item, arrays, path) for item in node.get("list", node.get("tuple"))]
        return items if "list" in node else tuple(items)
    if "dict" in node:
        return {key: _decode(item, arrays, path) for key, item in node["dict"].items()}
    if "frame" in node:
        return pd.read_json(io.StringIO(node["frame"]), orient="split")
    if "object" in node:
        cls = _trusted_class(node["object"], path)
        instance = cls.__new__(cls)  # object's own __new__: no method of the file's choosing
        instance.__dict__.update(_decode(node["state"], arrays, path))
        return instance
    raise CacheError(f"{path}: not a model file of this package (unknown node {node!r:.60}).")


def _trusted_class(name: str, path: Path) -> type:
    """Return the class ``module:qualname``: a scikit-learn estimator of a trusted package."""
    module, _, qualname = name.partition(":")
    module = RENAMED_MODULES.get(module, module)
    if not module.startswith(TRUSTED_PACKAGES) or "." in qualname:
        raise UntrustedModelFileError(
            f"{path} names the class {name!r}, which is not an "
            "estimator of ct_helpers or scikit-learn."
        )
    cls = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(cls, type) and _storable(cls)):
        raise UntrustedModelFileError(f"{path} names {name!r}, which is not an estimator class.")
    return cls


def _storable(cls: type) -> bool:
    """Whether instances of ``cls`` may be written and rebuilt from arrays and JSON."""
    trusted_home = cls.__module__.startswith(TRUSTED_PACKAGES)
    return trusted_home and (issubclass(cls, BaseEstimator) or cls in STORABLE_CLASSES)


#: Modules that moved when ct_helpers was split into stages; models saved before still load.
RENAMED_MODULES = {
    "ct_helpers.preprocessing": "ct_helpers.data.preprocessing",
    "ct_helpers.dataset": "ct_helpers.data.expression",
    "ct_helpers.brain_space": "ct_helpers.data.spaces",
}


class _RenamedModulesUnpickler(pickle.Unpickler):
    """Read pickles that name a module by its path before the move (:data:`RENAMED_MODULES`)."""

    def find_class(self, module: str, name: str):
        return super().find_class(RENAMED_MODULES.get(module, module), name)


__all__ = [
    "RENAMED_MODULES",
    "SAVED_FORMAT_LOADERS",
    "UntrustedModelFileError",
    "load_model",
    "register_saved_format",
    "save_model",
]
