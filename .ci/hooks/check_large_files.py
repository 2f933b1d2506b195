"""Pre-commit hook: refuse files larger than the limit (data belong in the data folder).

Usage: ``python .ci/hooks/check_large_files.py [--max-kb N] FILE ...`` (pre-commit passes the
staged files). Exits 1 naming every file over the limit and its size.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: The largest file the repository takes, in kB (the Colab notebooks are about 60 kB).
MAX_KB = 500


def too_large(paths: list[str], max_kb: int = MAX_KB) -> list[str]:
    """Say which of ``paths`` are larger than ``max_kb`` kB, with their sizes.

    Examples
    --------
    >>> too_large([__file__], max_kb=0)[0].endswith("kB (limit 0 kB)")
    True
    """
    found = []
    for name in paths:
        path = Path(name)
        if path.is_file() and path.stat().st_size > max_kb * 1024:
            found.append(f"{name}: {path.stat().st_size / 1024:.0f} kB (limit {max_kb} kB)")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the hook: 0 when every file is small enough, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-kb", type=int, default=MAX_KB)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    found = too_large(args.files, args.max_kb)
    for line in found:
        print(f"too large for the repository: {line}; keep data in $CT_DATA, not in git")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
