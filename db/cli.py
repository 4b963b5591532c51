"""Catalog subcommands of the ``findcolor`` console command: import, export, verify, db, user.

``findcolor/cli.py`` calls :func:`register_commands` lazily, so the library never imports the
catalog. Each handler returns the exit code; failures are raised as
:class:`findcolor.errors.FindColorError` subclasses, which the CLI prints as one line.

Who acts: in local single-user mode (no accounts) the built-in local user; otherwise the
account named with ``--user`` (or ``FINDCOLOR_USER``), which must give its password: from
``FINDCOLOR_PASSWORD`` when set, else asked on the terminal. Sign-ins from the command line
are throttled like the dashboard's (the client is ``cli:<shell user>@<host>``). Commands that
change the catalog or write an audit event (import, export, verify --repair, user add,
user unlock) need it; reading (verify, user list, db status) does not.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
import warnings
from collections.abc import Callable

from db.catalog import Catalog, open_catalog
from db.errors import InvalidInput, NotFound, PermissionDenied
from db.export import export_bag, record_export
from db.ingest import ImportOutcome, import_paths
from db.migrate import current_revision, downgrade_database, head_revision, upgrade_database
from db.models import Role, User
from db.settings import load_settings
from db.users import (
    authenticate,
    create_user,
    get_local_user,
    get_user_by_name,
    is_local_mode,
    list_users,
    unlock_sign_in,
)
from db.verify import repair_store, verify_store

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
        catalog = open_catalog(load_settings())
        try:
            return handler(args, catalog)
        finally:
            catalog.close()

    return run


def _import(args: argparse.Namespace, catalog: Catalog) -> int:
    defaults = {key: value for key, value in (("era", args.era), ("event", args.event)) if value}

    def show(outcome: ImportOutcome) -> None:
        if outcome.status != "imported" or outcome.restored or args.list_imported:
            _say(f"{outcome.status:9s} {outcome.source}: {outcome.message}")

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


def _export(args: argparse.Namespace, catalog: Catalog) -> int:
    actor = _actor(catalog=catalog, username=args.user)
    with catalog.read_session() as session:
        report = export_bag(session=session, store=catalog.store, out_path=args.output, era=args.era, event=args.event)
    with catalog.session() as session:
        record_export(session=session, actor=actor, report=report, era=args.era, event=args.event)
    _say(f"exported {report.photos} approved colorizations ({report.files} files, {report.bytes / 1e6:.1f} MB) to {report.path}")
    return 0


def _verify(args: argparse.Namespace, catalog: Catalog) -> int:
    if args.repair:
        actor = _actor(catalog=catalog, username=args.user)
        with catalog.session() as session:
            repaired = repair_store(session=session, store=catalog.store, actor=actor)
        _say(
            f"removed {len(repaired.removed)} stored files and {len(repaired.removed_staging)} staging files "
            "that no record refers to"
        )
    with catalog.read_session() as session:
        report = verify_store(session=session, store=catalog.store)
    for line in report.lines():
        _say(line)
    for line in report.advice():
        _say(f"repair: {line}")
    _say(f"checked {report.checked} files: {len(report.missing)} missing, {len(report.altered)} altered")
    return 0 if report.ok else 1


def _db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade_database(settings.database_url, args.revision)
    _say(f"catalog schema is at revision {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    downgrade_database(settings.database_url, args.revision)
    _say(f"catalog schema is at revision {args.revision}")
    return 0


def _db_status(args: argparse.Namespace, catalog: Catalog) -> int:
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
    with catalog.read_session() as session:
        first_account = is_local_mode(session=session)
    actor = None if first_account and args.user is None else _actor(catalog=catalog, username=args.user)
    password = _read_password(args)
    with catalog.session() as session:
        user = create_user(
            session=session, actor=actor, username=args.name, password=password, role=args.role,
            display_name=args.display_name or "",
        )
        _say(f"created user {user.username!r} ({user.role.value})")
    return 0


def _user_unlock(args: argparse.Namespace, catalog: Catalog) -> int:
    actor = _actor(catalog=catalog, username=args.user)
    with catalog.session() as session:
        cleared = unlock_sign_in(session=session, actor=actor, username=args.name, client=args.client)
    who = " and ".join(f"{kind} {value!r}" for kind, value in (("account", args.name), ("client", args.client)) if value)
    _say(f"cleared {cleared} failed sign-in counter(s) of {who}")
    return 0


def _user_list(args: argparse.Namespace, catalog: Catalog) -> int:
    with catalog.read_session() as session:
        users = list_users(session=session)
        for user in users:
            _say(f"{user.username:20s} {user.role.value:9s} {'active' if user.active else 'deactivated'}")
        if not users:
            _say("no user accounts: local single-user mode")
    return 0


def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the catalog subcommands; each sets ``handler`` (args -> exit code)."""
    user_help = (
        f"act as this user account, its password from {PASSWORD_ENV} or asked (default: the local user "
        f"when no accounts exist; env {USER_ENV})"
    )

    imp = subparsers.add_parser("import", help="import scans (files, folders) into the catalog")
    imp.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders (searched recursively)")
    imp.add_argument("--csv", metavar="META.csv", help="descriptive metadata; a 'filename' column matches files")
    imp.add_argument("--era", help="era for photos the CSV gives none")
    imp.add_argument("--event", help="event for photos the CSV gives none")
    imp.add_argument("--user", help=user_help)
    imp.add_argument("--list-imported", action="store_true", help="list imported files too, not only problems")
    imp.set_defaults(handler=_with_catalog(_import))

    exp = subparsers.add_parser("export", help="export approved colorizations as a BagIt bag (zip)")
    exp.add_argument("--approved", action="store_true", default=True, help="approved colorizations (the only kind exported)")
    exp.add_argument("--era", help="only this era")
    exp.add_argument("--event", help="only this event")
    exp.add_argument("-o", "--output", required=True, metavar="OUT.zip", help="the zip file to write")
    exp.add_argument("--user", help=user_help)
    exp.set_defaults(handler=_with_catalog(_export))

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
