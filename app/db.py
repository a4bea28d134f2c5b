"""Engine, pragmas and the unit-of-work helpers used by every use case.

On SQLite every write transaction starts with ``BEGIN IMMEDIATE``: a deferred transaction
that later writes either loses numbers or fails with "database is locked". Reads use a
plain deferred ``BEGIN`` so that they never block a writer.

On PostgreSQL every write transaction starts by taking one transaction-scoped advisory
lock (``pg_advisory_xact_lock``), released by its commit or rollback: writers wait for
each other exactly as on SQLite, so the use cases written for one writer at a time (a
run, issuing and its numbering, "not billed yet" checks) stay right on both engines;
readers never wait. Both engines wait 30 s for the writer before them, then say so in
French (:data:`BUSY_MESSAGE`).
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app import input_rules
from app.errors import DatabaseError
from app.fs import attachments_dir, is_network_path

BUSY_TIMEOUT_MS = 30_000
BUSY_MESSAGE = (
    "La base est occupée par un autre poste depuis {seconds} secondes (facturation, émission "
    "ou enregistrement en cours) : rien n'a été enregistré, réessayez dans un instant."
)
_WRITE = "propreo_write"
# The key of the writers' advisory lock on PostgreSQL (any constant shared by every
# workstation; "PROPREO" in ASCII).
WRITE_LOCK_KEY = 0x50524F5052454F
input_rules.install()  # every unit of work checks the texts and numbers it writes


@dataclass
class Database:
    """An open database: engine plus where it lives and how it is journaled."""

    engine: Engine
    path: Path | None  # None for a non-SQLite URL
    journal_mode: str = ""
    network: bool = False
    read_only: bool = False
    user_id: int | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def files_dir(self) -> Path:
        """Folder for photos, attachments and archived PDFs: beside a SQLite file, the
        firm's shared folder for a server database (:mod:`app.file_store`)."""
        if self.path is None:
            from app.file_store import shared_files_dir

            return shared_files_dir(self)
        return attachments_dir(self.path)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit of work: ``BEGIN IMMEDIATE`` on SQLite, commit on success."""
        if self.read_only:
            raise DatabaseError("La base est ouverte en lecture seule.")
        bind = self.engine.execution_options(**{_WRITE: True})
        try:
            with Session(bind=bind, expire_on_commit=False) as session:
                session.info["user_id"] = self.user_id
                session.info["database"] = self
                with session.begin():
                    yield session
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            raise DatabaseError(BUSY_MESSAGE, seconds=BUSY_TIMEOUT_MS // 1000) from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read session (deferred transaction). Closing it ends the transaction without
        expiring the loaded objects, which stay readable (detached) afterwards."""
        with Session(bind=self.engine, expire_on_commit=False, autoflush=False) as session:
            session.info["user_id"] = self.user_id
            session.info["database"] = self
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


# Engines opened in this process, so that the command line can close them all before
# leaving (see app/__main__.py).
_OPENED: weakref.WeakSet[Engine] = weakref.WeakSet()


def close_databases() -> None:
    """Close the pooled connections of every engine still open (on SQLite the last one
    to close checkpoints the WAL into the file), as the final garbage collection would."""
    for engine in list(_OPENED):
        engine.dispose()


def is_busy(exc: OperationalError) -> bool:
    """The engine gave up waiting for another writer (SQLite's busy timeout, PostgreSQL's
    ``lock_timeout`` on the writers' lock)."""
    code = getattr(exc.orig, "sqlstate", None)
    return code == "55P03" or "database is locked" in str(exc.orig)


def masked(target: str | Path) -> str:
    """A path or URL fit to print: the password of a URL replaced by ``***``."""
    text = str(target)
    if not _is_url(text):
        return text
    try:
        return make_url(text).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: print no part of it after "//"
        return text.split("://", 1)[0] + "://***"


def _is_url(target: str) -> bool:
    return "://" in target


def open_database(
    target: str | Path, *, read_only: bool = False, create: bool = True, uri: str | None = None
) -> Database:
    """Open a SQLite file (path) or any SQLAlchemy URL.

    ``uri``: a SQLite ``file:`` URI to connect with instead of the path (a base on a
    read-only medium, :mod:`app.read_only`); the base is then read-only.
    The schema is not touched here: see :mod:`app.migrate`.
    """
    text = str(target)
    if _is_url(text):
        url = make_url(text)
        if url.get_backend_name() != "sqlite":
            engine = create_engine(url, pool_pre_ping=True)
            _OPENED.add(engine)
            if engine.dialect.name == "postgresql":
                _install_postgresql_hooks(engine)
            return Database(engine=engine, path=None, read_only=read_only)
        path = Path(url.database or "")
    else:
        path = Path(text).expanduser()
    if not create and not path.exists():
        raise DatabaseError("Le fichier de base « {path} » n'existe pas.", path=str(path))
    if uri is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    network = is_network_path(path)
    wanted_journal = "DELETE" if network else "WAL"
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        **({"creator": _uri_connector(uri)} if uri else {}),
    )
    read_only = read_only or uri is not None
    db = Database(engine=engine, path=path, network=network, read_only=read_only)
    _OPENED.add(engine)
    _install_sqlite_hooks(engine, wanted_journal, read_only)
    try:
        with engine.connect() as conn:
            db.journal_mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).upper()
    except Exception as exc:  # sqlite3.DatabaseError: not a database, unreadable...
        engine.dispose()
        from app.storage import raise_storage_error

        raise_storage_error(exc, path)  # read-only media, no permission, full disk
        raise DatabaseError(
            "Impossible d'ouvrir la base « {path} » : {error}", path=str(path), error=exc
        ) from exc
    return db


def _uri_connector(uri: str) -> Any:
    def connect() -> sqlite3.Connection:
        return sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )

    return connect


def _install_sqlite_hooks(engine: Engine, journal_mode: str, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy (not pysqlite) emit BEGIN, so that we choose its kind.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=FULL")
        if not read_only:
            cur.execute(f"PRAGMA journal_mode={journal_mode}")
        else:
            cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def _install_postgresql_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(_WRITE):
            # SET LOCAL: for this transaction only; the wait for the lock is bounded.
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def reserve_ids(session: Session, table: Any, count: int) -> list[int]:
    """``count`` new ids for rows of ``table`` about to be inserted with explicit ids (one
    executemany instead of a RETURNING per row). PostgreSQL: from the table's sequence, so
    that later inserts (a manual invoice, a credit note) get the next ones. SQLite (no
    AUTOINCREMENT, the write transaction holds the file): the ids after the largest, the
    ones SQLite itself would give."""
    if count <= 0:
        return []
    conn = session.connection()
    name = table.name
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence(%(t)s, 'id')) FROM generate_series(1, %(n)s)",
            {"t": name, "n": count},
        )
        return sorted(r[0] for r in rows)
    from sqlalchemy import func, select

    start = (session.scalar(select(func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cycle collector during a bulk computation (also a decorator).

    A month-end run creates and drops about a million small acyclic objects (rows,
    records, dicts); reference counting frees them, but every few thousand allocations
    the cycle collector walks the young objects and regularly all of them (SQLAlchemy's
    and the models' included): ≈ 12 % of the run's CPU for nothing. The previous state
    is restored afterwards; cycles made meanwhile are collected by the next passes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Bulk writes of the month-end run and of issuing. ``session.execute(insert(t), rows)``
# builds and type-processes every parameter of every row inside SQLAlchemy (≈ 10 µs per
# row); here the statement is compiled once by SQLAlchemy for the session's dialect, each
# column's bind processor (the one SQLAlchemy would apply: ScaledDecimal → integer,
# dates...) is looked up once, and the driver's executemany gets plain tuples (or dicts
# for a named paramstyle). Same SQL, same stored values, same column defaults.


def _python_defaults(table: Any, given: set[str], *, update: bool) -> list[tuple[str, Any]] | None:
    """``(key, default)`` of the columns not given that have a Python-side default
    (``onupdate`` for an UPDATE); ``None`` when one is a SQL expression or a sequence."""
    out: list[tuple[str, Any]] = []
    for column in table.columns:
        default = column.onupdate if update else column.default
        if column.key in given or default is None:
            continue
        if not (default.is_scalar or default.is_callable):
            return None
        out.append((column.key, default))
    return out


def _processor(column_type: Any, dialect: Any) -> Any:
    """The bind processor SQLAlchemy applies to a value of this type (``None``: none);
    for the integer-scaled Decimals a shortcut for exact Decimals, same result."""
    from models.base import ScaledDecimal

    slow = column_type.bind_processor(dialect)
    if not isinstance(column_type, ScaledDecimal):
        return slow
    if column_type.impl_instance.bind_processor(dialect) is not None:
        return slow  # the integer itself is processed by this dialect: no shortcut
    scale = column_type.scale

    def convert(value: Any) -> Any:
        if type(value) is Decimal:
            scaled = value.scaleb(scale)
            integral = int(scaled)
            if integral == scaled:
                return integral
        return slow(value)  # None, int, or the type's own error

    return convert


def decimal_reader(column_type: Any) -> Any:
    """For a hot read of an integer-scaled Decimal column selected as its stored integer
    (``type_coerce(column, Integer)``): the column type's own conversion, done once per
    distinct integer (a firm's prices, quantities and amounts repeat a lot)."""
    convert = column_type.process_result_value
    memo: dict[Any, Any] = {None: None}

    def read(value: Any) -> Any:
        try:
            return memo[value]
        except KeyError:
            decimal = memo[value] = convert(value, None)
            return decimal

    return read


def _bulk(
    session: Session,
    statement: Any,
    table: Any,
    rows: list[dict[str, Any]],
    binds: dict[str, str],
    defaults: list[tuple[str, Any]],
) -> None:
    """Execute ``statement`` for every row; ``binds`` maps column key → bind name."""
    conn = session.connection()
    dialect = conn.dialect
    keys = list(binds)
    filled = [k for k, _ in defaults]
    names = [binds[k] for k in keys] + filled
    compiled = statement.compile(dialect=dialect, column_keys=names)
    processors = [_processor(table.c[k].type, dialect) for k in keys + filled]
    makers = [d.arg if d.is_scalar else (lambda f=d.arg: f(None)) for _, d in defaults]
    scalars = [d.is_scalar for _, d in defaults]
    if dialect.positional:
        where = {name: i for i, name in enumerate(names)}
        order = [where[name] for name in compiled.positiontup]
    else:
        order = list(range(len(names)))
    procs = [processors[i] for i in order]
    # Plain C-level getters where a value needs no processing (strings, ints...).
    steps = [(i, f) for i, f in enumerate(procs) if f is not None]
    take = (lambda row: tuple(row[k] for k in keys)) if len(keys) < 2 else itemgetter(*keys)
    arrange = (lambda rec: tuple(rec[i] for i in order)) if len(order) < 2 else itemgetter(*order)
    params: list[Any] = []
    for row in rows:
        record = [*take(row)]
        for make, scalar in zip(makers, scalars, strict=True):
            record.append(make if scalar else make())
        values = list(arrange(record))
        for i, f in steps:
            values[i] = f(values[i])
        params.append(
            tuple(values) if dialect.positional else dict(zip(names, values, strict=True))
        )
    conn.exec_driver_sql(compiled.string, params)


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` every row (all with the keys of the first) in one executemany: the rows
    ``session.execute(insert(table), rows)`` would write, without its per-row cost."""
    from sqlalchemy import insert

    if not rows:
        return
    defaults = _python_defaults(table, set(rows[0]), update=False)
    if defaults is None:
        session.execute(insert(table), rows)
        return
    _bulk(session, insert(table), table, rows, {k: k for k in rows[0]}, defaults)


def update_rows(session: Session, table: Any, rows: list[dict[str, Any]], key: str = "id") -> None:
    """``UPDATE table SET <the other keys> WHERE key = row[key]`` for every row in one
    executemany (``onupdate`` defaults applied), as a Core executemany UPDATE would."""
    from sqlalchemy import bindparam, update

    if not rows:
        return
    given = set(rows[0])
    defaults = _python_defaults(table, given, update=True)
    statement = update(table).where(table.c[key] == bindparam("_" + key))
    if defaults is None:
        session.execute(statement, [{"_" + key: r[key], **r} for r in rows])
        return
    binds = {k: k for k in rows[0] if k != key}
    binds[key] = "_" + key  # the WHERE parameter, named apart from the SET columns
    _bulk(session, statement, table, rows, binds, defaults)


class date_fr(FunctionElement[str]):
    """A date column as the text ``JJ/MM/AAAA`` users type, on either engine
    (``strftime`` on SQLite, ``to_char`` on PostgreSQL)."""

    type = String()
    inherit_cache = True


@compiles(date_fr, "sqlite")
def _date_fr_sqlite(element: date_fr, compiler: Any, **kw: Any) -> str:
    return f"strftime('%d/%m/%Y', {compiler.process(element.clauses, **kw)})"


@compiles(date_fr, "postgresql")
def _date_fr_postgresql(element: date_fr, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'DD/MM/YYYY')"
