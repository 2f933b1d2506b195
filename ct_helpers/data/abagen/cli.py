"""``ct-build-ahba``: build real AHBA expression with abagen from the command line.

``ct-build-ahba build --resolution 8`` (what ``make ahba RES=8`` runs), ``build
--atlas my_atlas.nii.gz --name mine``, ``setup-env`` (make the isolated abagen
environment) and ``requirements`` (print its pins). The work is done by
:func:`ct_helpers.data.abagen.build.build_ahba_dataset`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import build as build_module
from .build import build_ahba_dataset
from .env import ABAGEN_REQUIREMENTS, ABAGEN_VENV_NAMES, create_abagen_env
from .recipe import PAPER_ABAGEN_ARGUMENTS


def _parse_override(text: str) -> tuple[str, object]:
    """Parse ``NAME=JSON`` (``tolerance=4``, ``reannotated=false``, ``lr_mirror="leftright"``)."""
    name, sep, value = text.partition("=")
    if not sep or name not in PAPER_ABAGEN_ARGUMENTS:
        raise SystemExit(
            f"--abagen-arg {text!r}: expected NAME=VALUE with NAME one of "
            f"{', '.join(PAPER_ABAGEN_ARGUMENTS)}."
        )
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value  # a bare word such as leftright


def main(argv: list[str] | None = None) -> int:
    """``ct-build-ahba {build,setup-env,requirements} ...`` (the console script)."""
    parser = argparse.ArgumentParser(
        prog="ct-build-ahba",
        description=build_module.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build a voxel-wise or atlas dataset")
    target = build.add_mutually_exclusive_group(required=True)
    target.add_argument("--resolution", type=float, help="voxel size in mm (8, 4 or 2)")
    target.add_argument("--atlas", help="an MNI-space integer atlas image")
    build.add_argument("--name", help="with --atlas: dataset becomes ahba-<name>")
    build.add_argument("--atlas-info", help="abagen label table for --atlas")
    build.add_argument("--data-dir", help="project data folder (default $CT_DATA)")
    build.add_argument("--abagen-data-dir", help="AHBA microarray folder")
    build.add_argument("--donors", nargs="+", default="all", help="donor ids (default all)")
    build.add_argument("--python", help="python of the abagen environment")
    build.add_argument("--force", action="store_true", help="rebuild even if cached")
    build.add_argument(
        "--pieces",
        default="auto",
        help="run abagen on this many pieces of the atlas (default: auto, by available memory)",
    )
    build.add_argument(
        "--keep-donors",
        action="store_true",
        help="also keep every donor's own matrix (for donor generalisability)",
    )
    build.add_argument(
        "--abagen-arg",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="override one abagen argument, e.g. lr_mirror='\"bidirectional\"' (repeatable)",
    )
    env = commands.add_parser("setup-env", help="create the isolated abagen environment")
    env.add_argument("path", nargs="?", default=ABAGEN_VENV_NAMES[0])
    commands.add_parser("requirements", help="print the abagen environment's requirements")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "requirements":
        print("\n".join(ABAGEN_REQUIREMENTS))
    elif args.command == "setup-env":
        print(create_abagen_env(args.path))
    else:
        overrides = dict(_parse_override(text) for text in args.abagen_arg)
        dataset = build_ahba_dataset(
            args.resolution,
            atlas=args.atlas,
            name=args.name,
            atlas_info=args.atlas_info,
            data_dir=args.data_dir,
            abagen_data_dir=args.abagen_data_dir,
            donors=args.donors,
            python=args.python,
            force=args.force,
            pieces=args.pieces if args.pieces == "auto" else int(args.pieces),
            keep_donors=args.keep_donors,
            **overrides,
        )
        print(dataset.summary().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
