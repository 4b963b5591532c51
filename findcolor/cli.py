"""The ``findcolor`` console command.

``findcolor colorize IN [--hints H.json] [--engine auto|neural|classical] -o OUT`` and
``findcolor --version`` live here; the catalog commands (import, export, verify, db,
user) are registered by ``db.cli`` when that package is installed, loaded lazily so the
library itself never depends on the catalog. A catalog that is installed but cannot be
imported (a missing or broken dependency) keeps its commands, which then say why they fail.

Every failure a user can cause ends as one line on stderr and a non-zero exit code.

Start-up stays well under a second: the colorization pipeline (torch) is imported only when
``colorize`` runs, and the catalog modules only when a catalog command runs, so ``--help``,
``--version`` and the catalog commands never load torch.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Sequence

from findcolor import __version__
from findcolor.errors import FindColorError
from findcolor.options import DEFAULT_MAX_PIXELS, ENGINE_NAMES

EXIT_USER_ERROR = 2
CATALOG_COMMANDS = ("import", "sample", "export", "batch", "verify", "db", "user", "c2pa")  # registered by db.cli
EXIT_INTERRUPTED = 130

_OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}


def _check_output(path: str) -> str:
    """The output folder, once ``path`` is known to be a writable image file name (checked before any work)."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in _OUTPUT_FORMATS:
        raise FindColorError(f"{path}: unsupported output type {extension or '(none)'} (use .png, .jpg, .tif or .webp)")
    if os.path.isdir(path):
        raise FindColorError(f"{path}: is a folder; give the file to write, e.g. {os.path.join(path, 'colour' + extension)}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FindColorError(f"{path}: output folder {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise FindColorError(f"{path}: cannot write to the folder {directory} (permission denied)")
    return directory


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _save_atomically(image, path: str) -> None:
    """Write to a temporary file beside ``path`` and rename: a crash never leaves half an image.

    ``mkstemp`` creates the file readable by its owner only; the finished image gets the mode a
    plain ``open()`` would give it (0666 less the umask), so colleagues can read it where the
    umask says they may.
    """
    directory = _check_output(path)
    extension = os.path.splitext(path)[1].lower()
    options = {"quality": 95} if _OUTPUT_FORMATS[extension] in ("JPEG", "WEBP") else {}
    try:
        handle, temporary = tempfile.mkstemp(prefix=".findcolor-", suffix=extension, dir=directory)
    except OSError as exc:
        raise FindColorError(f"{path}: cannot write to the folder {directory} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, format=_OUTPUT_FORMATS[extension], **options)
            stream.flush()
            os.fchmod(stream.fileno(), 0o666 & ~_umask())
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:  # disk full, a folder or read-only file in the way, ...
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise FindColorError(f"{path}: cannot write the image ({exc.strerror or exc})") from None
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _run_colorize(args: argparse.Namespace) -> int:
    if os.path.abspath(args.output) == os.path.abspath(args.input):
        raise FindColorError(f"{args.output}: refusing to overwrite the original scan; choose another output path")
    _check_output(args.output)  # before the work, not after it
    from findcolor.pipeline import colorize  # torch: loaded only for the command that needs it

    image = colorize(args.input, args.hints, engine=args.engine, working_side=args.working_side, max_pixels=args.max_pixels)
    _save_atomically(image, args.output)
    size = os.path.getsize(args.output)
    print(f"wrote {args.output} ({image.width}x{image.height} pixels, {size / 1e6:.1f} MB)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="findcolor", description="Faithful, hint-guided colorization of historical photographs."
    )
    parser.add_argument("--version", action="version", version=f"findcolor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("colorize", help="colorize one photo following a hints file")
    run.add_argument("input", help="the black-and-white scan (never modified)")
    run.add_argument("-o", "--output", required=True, help="where to write the colour image (.png, .jpg, .tif, .webp)")
    run.add_argument("--hints", help="hints JSON file (format version 1, see README)")
    run.add_argument("--engine", choices=ENGINE_NAMES, default="auto", help="colorization engine (default: auto)")
    run.add_argument("--working-side", type=int, default=None, help="longer side of the working resolution in pixels")
    run.add_argument(
        "--max-pixels",
        type=int,
        default=int(os.environ.get("FINDCOLOR_MAX_PIXELS", DEFAULT_MAX_PIXELS)),
        help=f"refuse larger images (default {DEFAULT_MAX_PIXELS:,}; env FINDCOLOR_MAX_PIXELS)",
    )
    run.set_defaults(handler=_run_colorize)

    try:
        from db.cli import register_commands
    except ImportError as exc:
        if not (isinstance(exc, ModuleNotFoundError) and exc.name == "db"):  # installed but broken: say so
            _register_unavailable_catalog(commands, exc)
        # else the catalog is not installed: a library-only install has no catalog commands
    else:
        register_commands(commands)
    return parser


def _register_unavailable_catalog(commands: argparse._SubParsersAction, error: ImportError) -> None:  # type: ignore[type-arg]
    """Catalog commands that explain, in one line, why they cannot run (e.g. a missing dependency)."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__

    def unavailable(args: argparse.Namespace) -> int:
        raise FindColorError(
            f"the catalog commands cannot be loaded: {reason} "
            "(reinstall the dependencies: pip install -r requirements.txt)"
        )

    for name in CATALOG_COMMANDS:
        # every argument is taken as is ("\0" prefix: no options), so the explanation is what the user sees
        command = commands.add_parser(
            name, help="unavailable: the catalog could not be loaded", add_help=False, prefix_chars="\0"
        )
        command.add_argument("arguments", nargs="*")
        command.set_defaults(handler=unavailable)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USER_ERROR
    try:
        return int(args.handler(args) or 0)
    except FindColorError as exc:
        print(f"findcolor: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("findcolor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("findcolor: error: out of memory (try a smaller --max-pixels or --working-side)", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
