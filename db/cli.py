"""Catalog subcommands of the ``findcolor`` console command: import, sample, export, batch, verify, db, user, c2pa.

``findcolor/cli.py`` calls :func:`register_commands` lazily, so the library never imports the
catalog. Each handler returns the exit code; failures are raised as
:class:`findcolor.errors.FindColorError` subclasses, which the CLI prints as one line.

Who acts: in local single-user mode (no accounts) the built-in local user; otherwise the
account named with ``--user`` (or ``FINDCOLOR_USER``), which must give its password: from
``FINDCOLOR_PASSWORD`` when set, else asked on the terminal. Sign-ins from the command line
are throttled like the dashboard's (the client is ``cli:<shell user>@<host>``). Commands that
change the catalog or write an audit event (import, export, verify --repair, user add,
user unlock, sample) need it; reading (verify, user list, db status) does not.

Each handler imports the catalog modules it uses when it runs: ``findcolor --help`` builds
every parser, and must not wait for SQLAlchemy, Alembic, cryptography or C2PA to load.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from findcolor.options import ENGINE_NAMES

from db.choices import PhotoStatus, Role
from db.errors import InvalidInput, NotFound, PermissionDenied
from db.metadata_columns import csv_columns_help
from db.plurals import counted

if TYPE_CHECKING:
    from db.batch_models import BatchRun
    from db.catalog import Catalog
    from db.ingest import ImportOutcome
    from db.models import User

USER_ENV = "FINDCOLOR_USER"
PASSWORD_ENV = "FINDCOLOR_PASSWORD"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()  # progress lines are read by other programs as they come


def _cli_client() -> str:
    """The client id sign-ins from here are throttled under: the shell account and the machine."""
    try:
        shell_user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        shell_user = "?"
    return f"cli:{shell_user}@{socket.gethostname()}"


def _password(username: str) -> str:
    """The acting account's password: FINDCOLOR_PASSWORD, else asked on the terminal."""
    password = os.environ.get(PASSWORD_ENV)
    if password is not None:
        return password
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)  # never read it from a pipe, echoed
        try:
            return getpass.getpass(f"password for {username}: ")
        except (getpass.GetPassWarning, EOFError):
            raise PermissionDenied(f"no terminal to ask for the password of {username!r}: set {PASSWORD_ENV}") from None


def _actor(*, catalog: Catalog, username: str | None) -> User:
    """The local user in local mode; otherwise the named account, once its password is checked."""
    from db.users import authenticate, get_local_user, get_user_by_name, is_local_mode

    username = username or os.environ.get(USER_ENV) or None
    with catalog.session() as session:
        if username is None:
            if is_local_mode(session=session):
                return get_local_user(session=session)
            raise PermissionDenied(f"this catalog has user accounts: name yourself with --user NAME (or {USER_ENV})")
        user = get_user_by_name(session=session, username=username)
        if user is None or user.is_local:
            raise NotFound(f"no user account named {username!r}")
    password = _password(username)
    with catalog.session() as session:
        return authenticate(session=session, username=username, password=password, client=_cli_client())


def _with_catalog(handler: Callable[[argparse.Namespace, Catalog], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from db.catalog import open_catalog
        from db.settings import load_settings

        catalog = open_catalog(load_settings())
        try:
            return handler(args, catalog)
        finally:
            catalog.close()

    return run


def _show_outcome(outcome: ImportOutcome, *, list_imported: bool) -> None:
    """One line per problem (and per imported file when asked): what happened to a file."""
    if outcome.status != "imported" or outcome.restored or list_imported:
        _say(f"{outcome.status:9s} {outcome.source}: {outcome.message}")


def _import(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.ingest import import_paths

    defaults = {key: value for key, value in (("era", args.era), ("event", args.event)) if value}

    def show(outcome: ImportOutcome) -> None:
        _show_outcome(outcome, list_imported=args.list_imported)

    actor = _actor(catalog=catalog, username=args.user)
    with catalog.session() as session:  # import_paths commits each file as it goes
        report = import_paths(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, paths=args.paths,
            metadata_csv=args.csv, defaults=defaults, progress=show,
        )
    for name in report.unmatched_metadata:
        _say(f"note      {args.csv}: no file named {name!r} was imported")
    _say(report.summary())
    return 1 if report.failed else 0


def _sample(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.sample_collection import SAMPLE_DIR, load_sample_collection

    def show(outcome: ImportOutcome) -> None:
        _show_outcome(outcome, list_imported=True)

    actor = _actor(catalog=catalog, username=args.user)
    with catalog.session() as session:  # load_sample_collection commits as it goes
        report = load_sample_collection(
            session=session, store=catalog.store, settings=catalog.settings, actor=actor, progress=show
        )
    _say(report.summary())
    if not report.imported and not report.failed:
        _say("the sample collection was already loaded: nothing added")
    _say(f"sources and licences: {SAMPLE_DIR / 'LICENSES.md'}")
    return 1 if report.failed else 0


def _export(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.credentials import credentials_from_settings
    from db.export import export_bag, record_export

    actor = _actor(catalog=catalog, username=args.user)
    credentials = credentials_from_settings(catalog.settings)  # a bad configuration fails before any work
    with catalog.read_session() as session:
        report = export_bag(
            session=session, store=catalog.store, out_path=args.output, era=args.era, event=args.event,
            credentials=credentials, iiif_base_url=args.iiif_base_url,
        )  # fmt: skip
    with catalog.session() as session:
        record_export(
            session=session, actor=actor, report=report, era=args.era, event=args.event, iiif_base_url=args.iiif_base_url
        )
    _say(f"exported {report.photos} approved colorizations ({report.files} files, {report.bytes / 1e6:.1f} MB) to {report.path}")
    _say(f"content credentials: {report.credentials}")
    _say(f"sha256 of the zip: {report.sha256}")
    return 0


def _c2pa_init(args: argparse.Namespace) -> int:
    from db.credentials import LOCAL_DIR, create_local_authority
    from db.settings import load_settings

    settings = load_settings()
    authority = create_local_authority(settings.data_dir / LOCAL_DIR, organization=args.organization, force=args.force)
    for line in (
        f"made a local certificate authority and a C2PA signing certificate in {authority.directory}",
        f"  signing certificate: {authority.signer_certificate} ({authority.signer}, valid until {authority.expires:%Y-%m-%d})",
        f"  signing key:         {authority.signer_key} (readable by you only)",
        f"  local CA:            {authority.ca_certificate} (its key: {authority.ca_key})",
        "These are LOCAL TEST credentials: no one else trusts them. C2PA verifiers will call the signatures",
        "valid but the signer unknown, unless given the local CA as a trust anchor. To publish, use a",
        "certificate from a CA that your audience's verifiers trust (the C2PA trust list).",
        "To sign exports with them, and to verify against the local CA:",
        f"  export FINDCOLOR_C2PA_CERT={authority.signer_certificate}",
        f"  export FINDCOLOR_C2PA_KEY={authority.signer_key}",
        f"  export FINDCOLOR_C2PA_TRUST_ANCHORS={authority.ca_certificate}",
    ):
        _say(line)
    return 0


def _c2pa_verify(args: argparse.Namespace) -> int:
    from db.credentials import load_trust_anchors, verify_path
    from db.settings import load_settings

    anchors_path = args.trust_anchors or load_settings().c2pa_trust_anchors
    result = verify_path(args.path, trust_anchors=load_trust_anchors(anchors_path))
    for report in result.reports:
        for line in report.lines():
            _say(line)
    if result.bag_checked:
        _say("bag checksums: " + ("valid" if not result.bag_problems else "; ".join(result.bag_problems)))
    trusted = sum(report.trusted for report in result.reports)
    valid = sum(report.valid for report in result.reports)
    anchors = f"trust anchors from {anchors_path}" if anchors_path else "no trust anchors given (FINDCOLOR_C2PA_TRUST_ANCHORS or --trust-anchors)"
    _say(f"checked {counted(len(result.reports), 'image')}: {valid} with valid credentials, {trusted} from a trusted signer; {anchors}")
    if not result.ok:
        return 1
    return 1 if args.require_trusted and not result.all_trusted else 0


def _verify(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.verify import repair_store, verify_store

    if args.repair:
        actor = _actor(catalog=catalog, username=args.user)
        with catalog.session() as session:
            repaired = repair_store(session=session, store=catalog.store, actor=actor)
        _say(
            f"removed {counted(len(repaired.removed), 'stored file')} and "
            f"{counted(len(repaired.removed_staging), 'staging file')} that no record refers to"
        )
    with catalog.read_session() as session:
        report = verify_store(session=session, store=catalog.store)
    for line in report.lines():
        _say(line)
    for line in report.advice():
        _say(f"repair: {line}")
    _say(f"checked {counted(report.checked, 'file')}: {len(report.missing)} missing, {len(report.altered)} altered")
    return 0 if report.ok else 1


def _db_upgrade(args: argparse.Namespace) -> int:
    from db.migrate import upgrade_database
    from db.settings import load_settings

    settings = load_settings()
    upgrade_database(settings.database_url, args.revision)
    _say(f"catalog schema is at revision {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from db.migrate import downgrade_database
    from db.settings import load_settings

    settings = load_settings()
    downgrade_database(settings.database_url, args.revision)
    _say(f"catalog schema is at revision {args.revision}")
    return 0


def _db_status(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.migrate import current_revision, head_revision

    _say(f"database: {catalog!r}\nschema revision: {current_revision(catalog.engine)} (newest: {head_revision()})")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("repeat the password: ") != password:
            raise InvalidInput("the two passwords differ")
    return password


def _user_add(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.users import create_user, is_local_mode

    with catalog.read_session() as session:
        first_account = is_local_mode(session=session)
    if first_account and args.role != Role.ADMIN.value:  # before asking for any password
        raise InvalidInput(
            f"the first user account must be an admin (someone has to manage the others): "
            f"findcolor user add {args.name} --role admin"
        )
    actor = None if first_account and args.user is None else _actor(catalog=catalog, username=args.user)
    password = _read_password(args)
    with catalog.session() as session:
        user = create_user(
            session=session, actor=actor, username=args.name, password=password, role=args.role,
            display_name=args.display_name or "",
        )
        _say(f"created user {user.username!r} ({user.role.value})")
    if first_account:
        _say(
            "this is the first account: local single-user mode has ended. The dashboard now asks everyone to sign in,\n"
            f"and commands that change the catalog act as a named account: --user {args.name} (or {USER_ENV}={args.name}),\n"
            f"e.g. findcolor user add NAME --role reviewer --user {args.name}"
        )
    return 0


def _user_unlock(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.users import unlock_sign_in

    actor = _actor(catalog=catalog, username=args.user)
    with catalog.session() as session:
        cleared = unlock_sign_in(session=session, actor=actor, username=args.name, client=args.client)
    who = " and ".join(f"{kind} {value!r}" for kind, value in (("account", args.name), ("client", args.client)) if value)
    _say(f"cleared {cleared} failed sign-in counter(s) of {who}")
    return 0


def _user_list(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.users import list_users

    with catalog.read_session() as session:
        users = list_users(session=session)
        for user in users:
            _say(f"{user.username:20s} {user.role.value:9s} {'active' if user.active else 'deactivated'}")
        if not users:
            _say("no user accounts: local single-user mode")
    return 0


def _describe_run(run: BatchRun) -> str:
    filters = ", ".join(f"{key} {value}" for key, value in run.filters.items()) or "all photos"
    palette = ", era palette" if run.era_palette else ""
    return (
        f"#{run.id:<5d} {run.status.value:9s} {run.done}/{run.planned} done, {run.failed} failed, {run.skipped} skipped"
        f"  [{filters}; {run.engine} {run.model_version}{palette}; {run.executor}; by {run.created_by.username}, "
        f"started {run.started_at:%Y-%m-%d %H:%M}]"
    )


def _run_batch_with_progress(args: argparse.Namespace, catalog: Catalog, actor: User, run: BatchRun) -> int:
    from tqdm import tqdm

    from db.batch import list_batch_failures
    from db.batch_runner import make_executor, run_batch

    executor = make_executor(workers=args.workers, ray_address=args.ray, engine=run.engine_requested)
    bar = tqdm(total=run.planned, initial=run.planned - run.remaining, unit="photo", desc=f"batch run #{run.id}",
               file=sys.stderr, disable=args.quiet)  # fmt: skip

    def show(progress) -> None:  # type: ignore[no-untyped-def]
        bar.n = progress.done + progress.failed + progress.skipped
        bar.set_postfix(failed=progress.failed, refresh=False)
        bar.refresh()

    try:
        finished = run_batch(catalog=catalog, actor=actor, run_id=run.id, executor=executor,
                             max_attempts=args.attempts, progress=show)  # fmt: skip
    finally:
        bar.close()
    _say(_describe_run(finished))
    with catalog.read_session() as session:
        for item in list_batch_failures(session=session, run_id=run.id):
            _say(f"failed    photo #{item.photo_id}: {item.reason}")
    return 1 if finished.failed else 0


def _batch(args: argparse.Namespace, catalog: Catalog) -> int:
    from db.batch import (
        BatchFilters,
        cancel_batch_run,
        get_batch_run,
        list_batch_failures,
        list_batch_runs,
        plan_batch_run,
        resume_batch_run,
    )

    if args.action == "status":
        with catalog.read_session() as session:
            runs = [get_batch_run(session=session, run_id=args.run_id)] if args.run_id else list_batch_runs(session=session)
            if runs == [None]:
                raise NotFound(f"no batch run #{args.run_id}")
            for run in runs:
                _say(_describe_run(run))  # type: ignore[arg-type]
            if args.run_id:
                for item in list_batch_failures(session=session, run_id=args.run_id):
                    _say(f"failed    photo #{item.photo_id}: {item.reason}")
            if not runs:
                _say("no batch runs yet")
        return 0
    if args.action in ("cancel", "resume") and not args.run_id:
        raise InvalidInput(f"findcolor batch {args.action} needs the run number, e.g. findcolor batch {args.action} 12")
    actor = _actor(catalog=catalog, username=args.user)
    if args.action == "cancel":
        with catalog.session() as session:
            run = cancel_batch_run(session=session, actor=actor, run_id=args.run_id)
            _say(f"cancelled batch run #{run.id}: {run.done} of {run.planned} done; resume with 'findcolor batch resume {run.id}'")
        return 0
    from db.batch_runner import make_executor, resolve_engine

    executor = make_executor(workers=args.workers, ray_address=args.ray, engine=args.engine)
    if args.action == "resume":
        with catalog.session() as session:
            run = resume_batch_run(session=session, actor=actor, run_id=args.run_id, executor=executor.description)
    else:
        filters = BatchFilters(era=args.era, event=args.event, status=args.status, limit=args.limit)
        identity = resolve_engine(args.engine)
        with catalog.session() as session:
            run = plan_batch_run(session=session, actor=actor, filters=filters, engine=identity,
                                 era_palette=args.era_palette, executor=executor.description)  # fmt: skip
        _say(f"batch run #{run.id}: {run.planned} photos to colorize ({filters.describe()}; {identity.engine} {identity.model_version})")
        if not run.planned:
            return 0
    return _run_batch_with_progress(args, catalog, actor, run)


def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the catalog subcommands; each sets ``handler`` (args -> exit code)."""
    user_help = (
        f"act as this user account, its password from {PASSWORD_ENV} or asked (default: the local user "
        f"when no accounts exist; env {USER_ENV})"
    )

    imp = subparsers.add_parser(
        "import", help="import scans (files, folders) into the catalog", epilog=csv_columns_help(),
        description="Store each scan byte for byte under its SHA-256, with its description; a file already in the "
        "catalog is reported as a duplicate, a bad file as failed, and neither stops the others.",
    )  # fmt: skip
    imp.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (searched recursively)")
    imp.add_argument("--csv", metavar="META.csv", help="descriptive metadata; a 'filename' column matches files")
    imp.add_argument("--era", help="era for photos the CSV gives none")
    imp.add_argument("--event", help="event for photos the CSV gives none")
    imp.add_argument("--user", help=user_help)
    imp.add_argument("--list-imported", action="store_true", help="list imported files too, not only problems")
    imp.set_defaults(handler=_with_catalog(_import))

    sample = subparsers.add_parser(
        "sample", help="load the sample collection: five real photographs with their sources and licences",
        description="Import the small collection of real black-and-white photographs (and labelled gray versions of "
        "public-domain colour photographs) shipped with Find Color, described with title, date, era, event, place, "
        "source and licence, to try painting, colorizing, review and export. Loading it again adds nothing.",
    )  # fmt: skip
    sample.add_argument("--user", help=user_help)
    sample.set_defaults(handler=_with_catalog(_sample))

    exp = subparsers.add_parser(
        "export", help="export approved colorizations as a BagIt bag (zip)",
        description="Export every approved colorization (optionally of one era or event) with its original scan, "
        "metadata, XMP and, when configured, C2PA credentials, as a BagIt bag in a zip. Drafts and rejected "
        "candidates are never exported.",
    )  # fmt: skip
    exp.add_argument("--era", help="only this era")
    exp.add_argument("--event", help="only this event")
    exp.add_argument("-o", "--output", required=True, metavar="OUT.zip", help="the zip file to write")
    exp.add_argument(
        "--iiif-base-url", metavar="URL",
        help="where the bag's top folder will be published, for absolute IIIF ids (default: ids relative to the bag)",
    )  # fmt: skip
    exp.add_argument("--user", help=user_help)
    exp.set_defaults(handler=_with_catalog(_export))

    c2pa = subparsers.add_parser("c2pa", help="C2PA content credentials: a local test certificate, verification")
    c2pa_commands = c2pa.add_subparsers(dest="c2pa_command", required=True, metavar="{init,verify}")
    init = c2pa_commands.add_parser("init", help="make a local test CA and signing certificate in the data folder")
    init.add_argument("--organization", default="Find Color local archive", help="organization named in the certificates")
    init.add_argument("--force", action="store_true", help="replace credentials made before")
    init.set_defaults(handler=_c2pa_init)
    check = c2pa_commands.add_parser("verify", help="check the content credentials of an image, an export zip or bag")
    check.add_argument("path", metavar="PATH", help="a signed image, an export .zip or an unpacked bag folder")
    check.add_argument("--trust-anchors", metavar="CA.pem", help="CA certificates to trust (env FINDCOLOR_C2PA_TRUST_ANCHORS)")
    check.add_argument("--require-trusted", action="store_true", help="exit 1 unless every signer is trusted")
    check.set_defaults(handler=_c2pa_verify)

    batch = subparsers.add_parser(
        "batch", help="draft colorizations of many photos (a local worker pool, or Ray); status, cancel, resume",
        description="findcolor batch [--era ERA] [--event EVENT] [--status new] [--era-palette] [--limit N] "
        "[--workers N | --ray ADDRESS]: a draft candidate for each matching photo that has no draft or approved "
        "colorization from this model version yet. 'findcolor batch status [RUN]', 'findcolor batch cancel RUN', "
        "'findcolor batch resume RUN'.",
    )  # fmt: skip
    batch.add_argument("action", nargs="?", choices=["status", "cancel", "resume"], help="instead of starting a run")
    batch.add_argument("run_id", nargs="?", type=int, metavar="RUN", help="the batch run number")
    batch.add_argument("--era", help="only photos of this era")
    batch.add_argument("--event", help="only photos of this event")
    batch.add_argument("--status", choices=[status.value for status in PhotoStatus], help="only photos in this workflow status")
    batch.add_argument("--engine", choices=ENGINE_NAMES, default="auto", help="colorization engine (default: auto)")
    batch.add_argument("--era-palette", action="store_true",
                       help="global hints from the archive: the era/event palette of approved work and its reference colours")
    batch.add_argument("--limit", type=int, help="at most this many photos")
    batch.add_argument("--workers", type=int, default=None, help="local worker processes (default 2; 0: in this process)")
    batch.add_argument("--ray", metavar="ADDRESS", help="run on a Ray cluster, e.g. ray://head:10001 or auto (env FINDCOLOR_RAY_ADDRESS)")
    batch.add_argument("--attempts", type=int, default=2, help="tries per photo before it is recorded as failed (default 2)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.add_argument("--user", help=user_help)
    batch.set_defaults(handler=_with_catalog(_batch))

    ver = subparsers.add_parser("verify", help="re-hash every stored file and report missing or altered ones")
    ver.add_argument(
        "--repair", action="store_true",
        help="first remove stored and staging files no record refers to (left by an interrupted import)",
    )  # fmt: skip
    ver.add_argument("--user", help=user_help + "; needed with --repair")
    ver.set_defaults(handler=_with_catalog(_verify))

    database = subparsers.add_parser("db", help="catalog database schema")
    db_commands = database.add_subparsers(dest="db_command", required=True, metavar="{upgrade,downgrade,status}")
    up = db_commands.add_parser("upgrade", help="upgrade the schema (default: to the newest revision)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade)
    down = db_commands.add_parser("downgrade", help="downgrade the schema to a revision ('base' removes everything)")
    down.add_argument("revision")
    down.set_defaults(handler=_db_downgrade)
    status = db_commands.add_parser("status", help="show the database and its schema revision")
    status.set_defaults(handler=_with_catalog(_db_status))

    user = subparsers.add_parser("user", help="user accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="{add,list,unlock}")
    add = user_commands.add_parser("add", help="create a user account (the first one must be an admin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--user", help=f"the admin creating the account (password from {PASSWORD_ENV} or asked)")
    add.set_defaults(handler=_with_catalog(_user_add))
    unlock = user_commands.add_parser("unlock", help="clear failed sign-ins of an account and/or a client (admins)")
    unlock.add_argument("name", nargs="?", help="the account name")
    unlock.add_argument("--client", help="the client id (as shown in the sign-in audit events)")
    unlock.add_argument("--user", help=f"the admin unlocking (password from {PASSWORD_ENV} or asked)")
    unlock.set_defaults(handler=_with_catalog(_user_unlock))
    listing = user_commands.add_parser("list", help="list user accounts")
    listing.set_defaults(handler=_with_catalog(_user_list))
