"""A chapter's parameters: names, defaults and meanings, and checks before a kernel starts.

``ct-book run`` executes a chapter with papermill; a mistyped dataset name
or a wrong type would otherwise fail only after the kernel has started and
the data are loading, as the last line of a long traceback. Here the
chapter's ``parameters`` cell is read as Python (never run): each assignment
gives a name, a default (a literal, or the literals of a ``ct.by_profile(...)``
call) and the comment after it as its meaning. :func:`check_parameters`
answers in one line: unknown names, values of the wrong type, unknown
dataset, compressor or target-source names ("did you mean ..."), files that
do not exist, and latent sizes a chosen method cannot make.
"""

from __future__ import annotations

import ast
import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ParameterError(ValueError):
    """A chapter parameter that cannot work, found before the chapter runs."""


@dataclass(frozen=True)
class ChapterParameter:
    """One assignment of a chapter's ``parameters`` cell.

    Attributes
    ----------
    name : str
    code : str
        The default as written (``ct.by_profile(smoke=[2], default=[2, 4])``).
    values : tuple
        The literal values the default can take (one, or one per profile).
    meaning : str
        The comment after the assignment.
    """

    name: str
    code: str
    values: tuple = field(default=())
    meaning: str = ""

    def describe(self) -> str:
        """One line for ``ct-book list``.

        Examples
        --------
        >>> ChapterParameter("k", "2", (2,), "latent size").describe()
        'k = 2  # latent size'
        """
        return f"{self.name} = {self.code}" + (f"  # {self.meaning}" if self.meaning else "")


def read_parameters(source: str) -> list[ChapterParameter]:
    r"""Read the parameters of a ``parameters`` cell's source, without running it.

    Examples
    --------
    >>> cell = 'k = 2  # latent size\nsizes = ct.by_profile(smoke=[2], default=[2, 4])'
    >>> [(p.name, p.values, p.meaning) for p in read_parameters(cell)]
    [('k', (2,), 'latent size'), ('sizes', ([2], [2, 4]), '')]
    """
    lines = source.splitlines()
    found = []
    for statement in ast.parse(source).body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            continue
        code = ast.get_source_segment(source, statement.value) or ""
        comments = [
            line.split("#", 1)[1].strip()
            for line in lines[statement.lineno - 1 : statement.end_lineno]
            if "#" in line
        ]
        values = _literal_values(statement.value)
        name = statement.targets[0].id
        found.append(ChapterParameter(name, " ".join(code.split()), values, " ".join(comments)))
    return found


def _literal_values(node: ast.expr) -> tuple:
    try:
        return (ast.literal_eval(node),)
    except ValueError:
        pass
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "by_profile":
        try:
            return tuple(ast.literal_eval(keyword.value) for keyword in node.keywords)
        except ValueError:
            return ()
    return ()


def check_parameters(
    parameters: dict[str, Any], known: list[ChapterParameter], chapter: str = "the chapter"
) -> dict[str, Any]:
    r"""Refuse, in one line each, parameter values that cannot work; before any kernel starts.

    Returns
    -------
    dict
        The parameters, where one value was given for a list parameter
        (``-p methods pca``) as a list of it.

    Raises
    ------
    ParameterError
        Naming the parameter, what is wrong, and what would work.

    Examples
    --------
    >>> known = read_parameters("k = 2  # latent size\nmethods = ['pca', 'tsne']")
    >>> check_parameters({"k": 3, "methods": "pca"}, known)
    {'k': 3, 'methods': ['pca']}
    >>> check_parameters({"k": "two"}, known)
    Traceback (most recent call last):
    ...
    ct_helpers.chapter_parameters.ParameterError: k: a whole number (default 2), not 'two'.
    >>> check_parameters({"k": 4}, known)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ct_helpers.chapter_parameters.ParameterError: k = 4: tsne makes at most 3 components; ...
    """
    by_name = {p.name: p for p in known}
    unknown = sorted(set(parameters) - set(by_name))
    if unknown:
        hints = [
            f"{name!r} (did you mean {close[0]!r}?)"
            if (close := _close(name, by_name))
            else repr(name)
            for name in unknown
        ]
        raise ParameterError(
            f"{chapter} has no parameter {', '.join(hints)}; its parameters: {', '.join(by_name)}."
        )
    parameters = dict(parameters)
    for name, value in parameters.items():
        parameters[name] = _check_type(by_name[name], value)
    values = {p.name: p.values[0] for p in known if len(p.values) == 1} | parameters
    data_dir = values.get("data_dir")
    for name, check in _NAMED_CHECKS.items():
        if name in values and (name in parameters or name == "methods"):
            check(values[name], values, data_dir)
    return parameters


_KINDS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    tuple: "a list",
    dict: "a mapping",
}


def _check_type(parameter: ChapterParameter, value: Any) -> Any:
    kinds = {type(v) for v in parameter.values} - {type(None)}
    if value is None or not kinds or type(value) in kinds:
        return value
    if type(value) is int and float in kinds or {type(value)} | kinds <= {list, tuple}:
        return value
    if kinds <= {list, tuple} and isinstance(value, str | int | float):
        return [value]  # one value for a list parameter: a list of one
    if str in kinds and isinstance(value, list | tuple):  # a list where one value is usual
        return value
    if str in kinds and not isinstance(value, str) and parameter.name in ("dataset", "table"):
        raise ParameterError(f"{parameter.name}: a name or a path, not {value!r}.")
    if str in kinds and not isinstance(value, bool):
        return value  # text parameters take numbers too (a voxel size, a seed as text)
    wanted = " or ".join(sorted({_KINDS.get(kind, kind.__name__) for kind in kinds}))
    default = parameter.values[0] if len(parameter.values) == 1 else parameter.code
    raise ParameterError(f"{parameter.name}: {wanted} (default {default!r}), not {value!r}.")


def _close(word: str, choices: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.6)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = _close(word, choices)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _looks_like_path(text: str) -> bool:
    from .data.catalog import FILE_SUFFIXES

    return os.sep in text or Path(text).suffix.lower() in (*FILE_SUFFIXES, ".nii.gz")


def _check_dataset(value: Any, values: dict, data_dir) -> None:
    if not isinstance(value, str) or os.path.exists(value):
        return
    if _looks_like_path(value):
        raise ParameterError(
            f"dataset: no file {value!r} (a path is read relative to where you run ct-book)."
        )
    from .data.catalog import list_datasets

    table = list_datasets(data_dir)
    if value not in table.index:
        raise ParameterError(
            f"dataset: no dataset {value!r}{_did_you_mean(value, table.index)};"
            " the names: ct-book datasets (or a path of your table)."
        )
    status = table.loc[value, "status"]
    if status.startswith("not built"):
        raise ParameterError(f"dataset: {value!r} is {status}.")


def _check_file(name: str) -> Callable:
    def check(value: Any, values: dict, data_dir) -> None:
        if isinstance(value, str) and not os.path.exists(value):
            raise ParameterError(
                f"{name}: no file {value!r} (a path is read relative to where you run ct-book)."
            )

    return check


def _check_targets(value: Any, values: dict, data_dir) -> None:
    from .prediction.targets import target_source_names

    names = target_source_names()
    for source in [value] if isinstance(value, str) else list(value or []):
        if isinstance(source, str) and source not in names and not os.path.exists(source):
            what = "file or folder" if _looks_like_path(source) else "target source"
            raise ParameterError(
                f"targets: no {what} {source!r}{_did_you_mean(source, names)}; "
                f"a named source ({', '.join(names)}), a NIfTI file or folder, "
                "or a table."
            )


def _check_methods(value: Any, values: dict, data_dir) -> None:
    from .compressors.registry import list_compressors

    table = list_compressors()
    names = list(table.index)
    methods = [value] if isinstance(value, str) else list(value or [])
    for method in methods:
        if method not in names:
            raise ParameterError(
                f"methods: no compressor {method!r}"
                f"{_did_you_mean(method, names)}; the compressors: "
                f"{', '.join(names)}."
            )
    k = values.get("k")
    for method in methods:
        limit = table.loc[method, "max components"]
        if isinstance(k, int) and limit == limit and limit is not None and k > limit:
            others = [m for m in methods if m != method] or ["pca"]
            raise ParameterError(
                f"k = {k}: {method} makes at most {int(limit)} components; "
                f"choose k <= {int(limit)}, or methods without {method} "
                f'(-p methods "[{", ".join(others)}]").'
            )


_NAMED_CHECKS: dict[str, Callable] = {
    "dataset": _check_dataset,
    "table": _check_file("table"),
    "targets": _check_targets,
    "methods": _check_methods,
    "method": _check_methods,
}

__all__ = ["ChapterParameter", "ParameterError", "check_parameters", "read_parameters"]
