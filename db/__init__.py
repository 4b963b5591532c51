"""The Find Color catalog: photo archive records, colorization candidates, review, file store,
import, provenance export. The dashboard and the CLI both go through these functions; no
queries are written anywhere else.

Opening and transactions
------------------------
::

    import db
    catalog = db.open_catalog()            # settings from FINDCOLOR_* env vars; upgrades the schema
    with catalog.session() as session:     # a write transaction: commit on success, rollback on error
        actor = db.get_local_user(session=session)   # local single-user mode (no accounts exist)
        outcome = db.import_bytes(session=session, store=catalog.store, settings=catalog.settings,
                                  actor=actor, filename="scan.tif", data=data)
    with catalog.read_session() as session:          # browsing/export: never blocks writers
        page = db.list_photos(session=session, filters=db.PhotoFilter(era="Korean War"), page=1)

Data-access functions never commit (two exceptions say so: ``import_paths`` commits each file,
``authenticate`` commits a failed attempt before raising); they flush so ids are set. Objects returned stay usable
after the ``with`` block (loaded relationships: photo.era/event/tags/created_by,
colorization.photo/created_by/reviewed_by). Every change writes an :class:`AuditEvent`. The ``actor`` passed to a function only names who
acts (by id): the role and active flag are read from the database on each call.
Every user-facing failure is a :class:`db.errors.CatalogError` (a
:class:`findcolor.errors.FindColorError`) with a one-line message; hint problems raise
:class:`findcolor.errors.HintError`.

Public API (all keyword-only)
-----------------------------
Settings and opening (``db.settings``, ``db.catalog``, ``db.migrate``)::

    load_settings(environ=None, **overrides) -> Settings
    open_catalog(settings: Settings | None = None, *, upgrade: bool = True) -> Catalog
    Catalog.settings / .engine / .store ; Catalog.session() / Catalog.read_session() -> ContextManager[Session]
    Catalog.close()
    upgrade_database(url: str, revision="head") / downgrade_database(url: str, revision: str)

Records (``db.models``)::

    Photo: id, sha256, original_filename, format, width, height, mode, bit_depth, size_bytes, title,
        description, date_text, year_from, year_to, place, source, rights, identifier, era_name,
        event_name, tags, status (PhotoStatus: new | in_review | approved | rejected), created_at, created_by
        # in_review = a draft waits (wins over approved); approved = has an approved colorization
    Colorization: id, photo_id, photo, status (ColorizationStatus: draft | approved | rejected | superseded),
        hints, engine, model_name, model_version, weights_sha256, parameters, software_version,
        output_sha256, output_width, output_height, palette, provenance_note, created_by, created_at,
        reviewed_by, reviewed_at, review_note, superseded_at, superseded_by_id
    ReferenceColor: id, name, hex, description, citation, era, event, place
    User: id, username, display_name, role (Role), active, is_local;  VocabularyTerm: kind, name, year_from, year_to
    AuditEvent: id, at, username, action, entity_type, entity_id, details
    LoginThrottle: kind ("account" | "client"), subject, failures, last_failure_at, locked_until

Users, roles, local mode (``db.users``; roles ladder viewer < curator < reviewer < admin)::

    is_local_mode(*, session) -> bool                       # True while no user accounts exist
    get_local_user(*, session) -> User                      # the built-in local curator (every role)
    create_user(*, session, actor: User | None, username, password, role, display_name="") -> User
        # actor None is allowed only for the very first account (bootstrap), which must be admin
    authenticate(*, session, username, password, client=None) -> User
        # AuthenticationFailed; SignInThrottled while the account or client must wait or is locked
        # (growing delays, a 15-minute lock after 10 failures in a row; db.throttle). Commits a failure.
    unlock_sign_in(*, session, actor, username=None, client=None) -> int   # admins; audited
    list_sign_in_locks(*, session) -> list[LoginThrottle]
    list_users(*, session, include_local=False) -> list[User];  get_user(*, session, user_id) -> User | None
    get_user_by_name(*, session, username) -> User | None
    set_user_role(*, session, actor, user_id, role) -> User
    set_user_password(*, session, actor, user_id, password) -> User
    set_user_active(*, session, actor, user_id, active: bool) -> User
    has_role(user, role) -> bool;  require_role(user, role, action: str) -> User   # PermissionDenied; checks the object
    authorize(*, session, actor, role, action) -> User      # checks the database record of actor.id
    load_actor(*, session, actor) -> User | None            # the database record of actor.id
    four_eyes_applies(*, session, settings) -> bool         # settings.four_eyes and not local mode

Vocabularies (``db.vocabulary``)::

    list_terms(*, session, kind: TermKind | str) -> list[VocabularyTerm]      # "era" / "event"
    get_term(*, session, kind, name) -> VocabularyTerm | None
    add_term(*, session, actor, kind, name, year_from=None, year_to=None, description="") -> VocabularyTerm

Photos (``db.photos``)::

    get_photo(*, session, photo_id) -> Photo | None
    get_photo_by_sha256(*, session, sha256) -> Photo | None
    PhotoFilter(era=None, event=None, status=None, search=None, tag=None, year_from=None, year_to=None)
    list_photos(*, session, filters=PhotoFilter(), sort="date", page=1, per_page=50) -> PhotoPage
        # sort: "date", "-date", "title", "newest", "oldest"; PhotoPage(items, total, page, per_page, pages)
    count_photos_by_status(*, session, filters=PhotoFilter()) -> dict[PhotoStatus, int]
    update_photo(*, session, actor, photo_id, changes: Mapping[str, object]) -> Photo
        # descriptive fields only: title, description, date_text, year_from, year_to, place,
        # source, rights, identifier, era, event (names), tags (list[str])

Files (``db.store``; content-addressed by SHA-256, written atomically, never rewritten)::

    catalog.store.path(sha256) -> Path;  catalog.store.read_bytes(sha256) -> bytes
    catalog.store.derivative(sha256, max_side, *, max_pixels) -> Path   # cached JPEG preview
    thumbnail_path(*, catalog, sha256) -> Path;  display_path(*, catalog, sha256) -> Path

Import (``db.ingest``)::

    import_paths(*, session, store, settings, actor, paths, metadata_csv=None, defaults=None, progress=None)
        -> ImportReport          # commits after every file: a crash loses at most the file in flight
    import_bytes(*, session, store, settings, actor, filename, data: bytes, metadata=None) -> ImportOutcome
        # ImportOutcome(source, status: "imported" | "duplicate" | "failed", message, photo_id, sha256, restored)
        # ImportReport(outcomes).imported / .duplicates / .failed / .restored  (lists of outcomes)
        # a duplicate whose stored original is missing or damaged restores it (audited)
    load_sample_collection(*, session, store, settings, actor, progress=None) -> ImportReport
        # (``db.sample_collection``) the shipped sample photos through import_paths; commits; again: duplicates only

Colorizations and review (``db.colorizations``, ``db.review``)::

    create_colorization(*, session, store, settings, actor, photo_id, hints, engine, output_png: bytes,
                        model_name="", model_version="", weights_sha256=None, parameters=None,
                        provenance_note="") -> Colorization           # curators only
    get_colorization(*, session, colorization_id) -> Colorization | None
    list_colorizations(*, session, photo_id=None, status=None, limit=None) -> list[Colorization]
    get_approved_colorization(*, session, photo_id) -> Colorization | None
    approve_colorization(*, session, settings, actor, colorization_id, note="") -> Colorization
    reject_colorization(*, session, settings, actor, colorization_id, note="") -> Colorization
        # reviewers only; four-eyes; approving supersedes the photo's previous approved one;
        # reviewed records are immutable (RecordImmutable)

Palette memory and era palettes (``db.references``, ``db.palettes``)::

    list_reference_colors(*, session, era=None, event=None, search=None) -> list[ReferenceColor]
    get_reference_color(*, session, name) -> ReferenceColor | None
    add_reference_color(*, session, actor, name, hex, description="", citation="", era=None,
                        event=None, place="") -> ReferenceColor
    update_reference_color(*, session, actor, name, changes: Mapping[str, object]) -> ReferenceColor
    approved_palettes(*, session, era=None, event=None, limit=1000) -> list[ColorizationPalette]
        # per approved colorization: colorization_id, photo_id, hints, palette (ab histogram, colours)
    combined_palette(*, session, era=None, event=None, colors=8) -> list[PaletteEntry]   # (hex, weight)

Batch runs (``db.batch``; executed by ``db.batch_runner.run_batch`` on a local pool or Ray)::

    plan_batch_run(*, session, actor, filters: BatchFilters, engine: EngineIdentity, era_palette=False,
                   executor="") -> BatchRun      # one item per photo lacking a draft/approval of this model
    resume_batch_run / cancel_batch_run(*, session, actor, run_id) -> BatchRun
    get_batch_run, list_batch_runs, list_batch_failures, list_batch_colorizations(*, session, run_id)

Export, fixity, audit (``db.export``, ``db.verify``, ``db.audit``)::

    export_bag(*, session, store, out_path, era=None, event=None, credentials=None, iiif_base_url=None) -> ExportReport
        # .path .photos .files .bytes .sha256 .signed .credentials; BagIt zip of approved colorizations with
        # originals, XMP-tagged outputs (C2PA-signed with db.credentials.credentials_from_settings(settings)),
        # hints.json, IIIF manifests (db.iiif), metadata.csv/json
    read_xmp(path_or_bytes) -> dict[str, str]                # fields of an exported PNG's XMP packet
    record_export(*, session, actor, report, era=None, event=None, iiif_base_url=None) -> AuditEvent   # after export_bag
    verify_store(*, session, store) -> FixityReport          # .checked .missing .altered .unreferenced .ok .advice()
    repair_store(*, session, store, actor) -> RepairReport   # removes files no record refers to; audited
    list_audit_events(*, session, entity_type=None, entity_id=None, limit=200) -> list[AuditEvent]

Dashboard sign-ins and hint drafts (``db.login_sessions``, ``db.drafts``)::

    start_login_session(*, session, user, lifetime: timedelta) -> str   # the browser's token (stored hashed)
    resolve_login_session(*, session, token) -> User | None             # None: unknown, expired, ended, inactive
    end_login_sessions(*, session, user) -> int                         # sign-out everywhere; audited
    save_hint_draft(*, session, actor, photo_id, hints) -> HintDraft    # curators; one per user and photo
    get_hint_draft(*, session, actor, photo_id) -> HintDraft | None
    delete_hint_draft(*, session, actor, photo_id) -> bool
"""

from __future__ import annotations

import importlib

_LAZY = {
    "list_audit_events": "db.audit",
    "BatchFilters": "db.batch",
    "EngineIdentity": "db.batch",
    "cancel_batch_run": "db.batch",
    "get_batch_run": "db.batch",
    "list_batch_colorizations": "db.batch",
    "list_batch_failures": "db.batch",
    "list_batch_runs": "db.batch",
    "plan_batch_run": "db.batch",
    "resume_batch_run": "db.batch",
    "BatchItem": "db.batch_models",
    "BatchItemState": "db.batch_models",
    "BatchRun": "db.batch_models",
    "BatchRunStatus": "db.batch_models",
    "Catalog": "db.catalog",
    "display_path": "db.catalog",
    "open_catalog": "db.catalog",
    "thumbnail_path": "db.catalog",
    "create_colorization": "db.colorizations",
    "get_approved_colorization": "db.colorizations",
    "get_colorization": "db.colorizations",
    "list_colorizations": "db.colorizations",
    "AuthenticationFailed": "db.errors",
    "CatalogError": "db.errors",
    "ConcurrentChange": "db.errors",
    "DatabaseUnavailable": "db.errors",
    "DuplicateRecord": "db.errors",
    "InvalidInput": "db.errors",
    "NotFound": "db.errors",
    "PermissionDenied": "db.errors",
    "RecordImmutable": "db.errors",
    "SignInThrottled": "db.errors",
    "StoreError": "db.errors",
    "delete_hint_draft": "db.drafts",
    "get_hint_draft": "db.drafts",
    "save_hint_draft": "db.drafts",
    "ExportReport": "db.export",
    "export_bag": "db.export",
    "record_export": "db.export",
    "ImportOutcome": "db.ingest",
    "ImportReport": "db.ingest",
    "import_bytes": "db.ingest",
    "import_paths": "db.ingest",
    "end_login_sessions": "db.login_sessions",
    "resolve_login_session": "db.login_sessions",
    "start_login_session": "db.login_sessions",
    "downgrade_database": "db.migrate",
    "upgrade_database": "db.migrate",
    "AuditEvent": "db.models",
    "Colorization": "db.models",
    "ColorizationStatus": "db.models",
    "HintDraft": "db.models",
    "LoginSession": "db.models",
    "LoginThrottle": "db.models",
    "Photo": "db.models",
    "PhotoStatus": "db.models",
    "PhotoTag": "db.models",
    "ReferenceColor": "db.models",
    "Role": "db.models",
    "TermKind": "db.models",
    "User": "db.models",
    "VocabularyTerm": "db.models",
    "ColorizationPalette": "db.palettes",
    "PaletteEntry": "db.palettes",
    "approved_palettes": "db.palettes",
    "combined_palette": "db.palettes",
    "PhotoFilter": "db.photos",
    "PhotoPage": "db.photos",
    "count_photos_by_status": "db.photos",
    "get_photo": "db.photos",
    "get_photo_by_sha256": "db.photos",
    "list_photos": "db.photos",
    "update_photo": "db.photos",
    "add_reference_color": "db.references",
    "get_reference_color": "db.references",
    "list_reference_colors": "db.references",
    "update_reference_color": "db.references",
    "approve_colorization": "db.review",
    "reject_colorization": "db.review",
    "load_sample_collection": "db.sample_collection",
    "Settings": "db.settings",
    "load_settings": "db.settings",
    "FileStore": "db.store",
    "list_sign_in_locks": "db.throttle",
    "authenticate": "db.users",
    "authorize": "db.users",
    "create_user": "db.users",
    "four_eyes_applies": "db.users",
    "get_local_user": "db.users",
    "get_user": "db.users",
    "get_user_by_name": "db.users",
    "has_role": "db.users",
    "is_local_mode": "db.users",
    "list_users": "db.users",
    "load_actor": "db.users",
    "require_role": "db.users",
    "set_user_active": "db.users",
    "set_user_password": "db.users",
    "set_user_role": "db.users",
    "unlock_sign_in": "db.users",
    "FixityReport": "db.verify",
    "RepairReport": "db.verify",
    "repair_store": "db.verify",
    "verify_store": "db.verify",
    "add_term": "db.vocabulary",
    "get_term": "db.vocabulary",
    "list_terms": "db.vocabulary",
    "read_xmp": "db.xmp",
}

__all__ = [
    "BatchFilters", "BatchItem", "BatchItemState", "BatchRun", "BatchRunStatus", "EngineIdentity",
    "cancel_batch_run", "get_batch_run", "list_batch_colorizations", "list_batch_failures", "list_batch_runs",
    "plan_batch_run", "resume_batch_run",
    "AuditEvent", "AuthenticationFailed", "Catalog", "CatalogError", "Colorization", "ColorizationPalette",
    "ColorizationStatus", "ConcurrentChange", "DatabaseUnavailable", "DuplicateRecord", "ExportReport",
    "FileStore", "FixityReport", "ImportOutcome", "ImportReport", "InvalidInput", "LoginThrottle", "NotFound",
    "PaletteEntry", "PermissionDenied", "Photo", "PhotoFilter", "PhotoPage", "PhotoStatus", "PhotoTag",
    "RecordImmutable", "ReferenceColor", "RepairReport", "Role", "Settings", "SignInThrottled", "StoreError",
    "TermKind", "User", "VocabularyTerm", "add_reference_color", "add_term", "approve_colorization",
    "approved_palettes", "authenticate", "authorize", "combined_palette", "count_photos_by_status",
    "create_colorization", "create_user", "display_path", "downgrade_database", "export_bag",
    "four_eyes_applies", "get_approved_colorization", "get_colorization", "get_local_user", "get_photo",
    "get_photo_by_sha256", "get_reference_color", "get_term", "get_user", "get_user_by_name", "has_role",
    "import_bytes", "import_paths", "is_local_mode", "list_audit_events", "list_colorizations", "list_photos",
    "list_reference_colors", "list_sign_in_locks", "list_terms", "list_users", "load_actor", "load_settings",
    "open_catalog", "read_xmp", "record_export", "reject_colorization", "repair_store", "require_role",
    "set_user_active", "set_user_password", "set_user_role", "thumbnail_path", "unlock_sign_in", "update_photo",
    "update_reference_color", "upgrade_database", "verify_store",
    "HintDraft", "LoginSession", "delete_hint_draft", "end_login_sessions", "get_hint_draft",
    "resolve_login_session", "save_hint_draft", "start_login_session",
    "load_sample_collection",
]


def __getattr__(name: str) -> object:
    """A public name (or a submodule, e.g. ``db.ingest``) imported the first time it is asked for.

    Lazy (PEP 562) so that ``findcolor --help`` and commands that need a few modules do not
    import the whole catalog (SQLAlchemy, Alembic, cryptography, C2PA) up front.
    """
    module = _LAZY.get(name)
    if module is None:
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
