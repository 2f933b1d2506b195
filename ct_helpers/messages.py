"""Wording shared by error messages and warnings: short lists, one line per kind of warning."""

from __future__ import annotations

import contextlib
import logging
import re
import warnings

import numpy as np


def few(items, limit: int = 10) -> str:
    """Join the first ``limit`` items with commas and say how many there are in all.

    Examples
    --------
    >>> few(["A1BG", "GAD1"])
    'A1BG, GAD1'
    >>> few(range(12), limit=3)
    '0, 1, 2 ... (12 in all)'
    """
    items = [str(item) for item in np.asarray(items).ravel()]
    shown = ", ".join(items[:limit])
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")


class WarningLog:
    """Collect library warnings by context and report each kind once, in one line.

    A sweep fits dozens of models; scikit-learn's NMF, say, warns on every fit
    that stops at ``max_iter``. Instead of a dozen identical warnings on a
    chapter's page, :meth:`record` keeps them with the fit they came from and
    :meth:`summary` gives one line per kind ("ConvergenceWarning in 6 of 12 fits
    (nmf k = 2, 4, 8): Maximum number of iterations 1000 reached ...").

    Parameters
    ----------
    unit : str
        What one recorded block is, in the summary ("fits", "steps").

    Examples
    --------
    >>> import warnings
    >>> log = WarningLog()
    >>> for k in (2, 4):
    ...     with log.record(f"nmf k = {k}"):
    ...         warnings.warn("stopped at max_iter", UserWarning)
    >>> log.summary()
    ['UserWarning in 2 of 2 fits (nmf k = 2, nmf k = 4): stopped at max_iter']
    """

    def __init__(self, unit: str = "fits") -> None:
        self.unit = unit  # what a context is, for the summary ("fits", "steps")
        self.caught: dict[tuple[str, str], list[str]] = {}
        self.examples: dict[tuple[str, str], str] = {}
        self.n_contexts = 0

    @contextlib.contextmanager
    def record(self, context: str):
        """Catch warnings (and warnings logged by ``ct_helpers``) in the block, for ``context``."""
        self.n_contexts += 1
        handler = _Keep(logging.WARNING)
        package_logger = logging.getLogger("ct_helpers")
        package_logger.addHandler(handler)  # no handler would print them meanwhile
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
        finally:
            package_logger.removeHandler(handler)
        found = [(item.category.__name__, str(item.message)) for item in caught]
        found += [("logged", record.getMessage()) for record in handler.records]
        for kind, message in found:
            message = message.splitlines()[0][:160]
            key = (kind, re.sub(r"\d+(\.\d+)?", "#", message))  # k = 2 and k = 4 alike
            self.examples.setdefault(key, message)
            contexts = self.caught.setdefault(key, [])
            if context not in contexts:
                contexts.append(context)

    def merge(self, other: WarningLog) -> None:
        """Add what ``other`` recorded (e.g. on a Dask worker) to this log.

        Examples
        --------
        >>> import warnings
        >>> here, there = WarningLog(), WarningLog()
        >>> with there.record("pca k = 2"):
        ...     warnings.warn("slow", UserWarning)
        >>> here.merge(there)
        >>> here.summary()
        ['UserWarning in 1 of 1 fits (pca k = 2): slow']
        """
        self.n_contexts += other.n_contexts
        for key, contexts in other.caught.items():
            self.examples.setdefault(key, other.examples[key])
            mine = self.caught.setdefault(key, [])
            mine += [context for context in contexts if context not in mine]

    def summary(self) -> list[str]:
        """One line per kind of warning: how many contexts raised it, which, and an example."""
        return [
            f"{kind} in {len(contexts)} of {self.n_contexts} {self.unit} "
            f"({few(contexts, limit=8)}): {self.examples[key]}"
            for key, contexts in self.caught.items()
            for kind in [key[0]]
        ]


class _Keep(logging.Handler):
    """A logging handler that keeps what it is given."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
