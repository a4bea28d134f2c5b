"""Archive of issued documents: the exact PDF bytes, content-addressed, with SHA-256.

Where: the file store beside the database (``Database.files_dir``), not a BLOB in the
database. On a shared network file every workstation reaches the same folder (it travels
with the database and its backups), the SQLite file stays small, so its write lock is held
briefly, and an archived file is never rewritten: its name is its SHA-256, so a
reprint serves the bytes that were first printed or sent, and ``check`` proves they are
intact. The table row (:class:`ArchivedDocument`) records hash, path and size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.check import register_check
from app.db import Database
from app.errors import DatabaseError, DocumentInvalid, StateError
from app.lookup import get_row
from models.documents import ArchivedDocument
from models.invoices import Invoice

ARCHIVE_DIR = "archive"


def files_dir(session: Session) -> Path:
    database: Database = session.info["database"]
    return database.files_dir


def archive_path(sha256: str, year: int) -> str:
    """Relative, content-addressed path: ``archive/<year>/<aa>/<sha256>.pdf``."""
    return f"{ARCHIVE_DIR}/{year}/{sha256[:2]}/{sha256}.pdf"


def _write_once(target: Path, data: bytes) -> None:
    """Atomic write (temp file + fsync + rename); an existing identical file is kept."""
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == target.stem:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def find_archive(session: Session, invoice_id: int) -> ArchivedDocument | None:
    return session.scalars(
        select(ArchivedDocument).where(ArchivedDocument.invoice_id == invoice_id)
    ).first()


def archive_invoice_pdf(session: Session, invoice_id: int, pdf: bytes) -> ArchivedDocument:
    """Store the first rendering of an issued invoice; later calls return the existing one."""
    existing = find_archive(session, invoice_id)
    if existing is not None:
        return existing
    invoice = get_row(session, Invoice, invoice_id, "Facture")
    if not invoice.number:
        raise StateError("Seul un document émis (numéroté) est archivé.")
    digest = hashlib.sha256(pdf).hexdigest()
    relative = archive_path(digest, invoice.issue_date.year)
    _write_once(files_dir(session) / relative, pdf)
    row = ArchivedDocument(
        doc_type=invoice.kind,
        invoice_id=invoice.id,
        client_id=invoice.client_id,
        number=invoice.number,
        sha256=digest,
        path=relative,
        size=len(pdf),
        archived_by_id=audit.current_user_id(session),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "invoice",
        invoice.id,
        "archive",
        f"PDF Factur-X archivé ({invoice.number}, SHA-256 {digest[:12]}…)",
        client_id=invoice.client_id,
    )
    return row


def read_archived(session: Session, row: ArchivedDocument) -> bytes:
    """The archived bytes, refused when they no longer match the recorded hash."""
    path = files_dir(session) / row.path
    if not path.exists():
        raise DocumentInvalid(
            "Le PDF archivé de {number} est introuvable ({path}).", number=row.number, path=row.path
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise DocumentInvalid(
            "Le PDF archivé de {number} a été modifié : son empreinte SHA-256 ne correspond plus.",
            number=row.number,
        )
    return data


def archived_pdf(session: Session, invoice_id: int) -> bytes | None:
    row = find_archive(session, invoice_id)
    return read_archived(session, row) if row else None


@register_check("Archives des documents")
def check_archives(session: Session) -> list[str]:
    database = session.info.get("database")
    if database is None:
        return []
    problems = []
    rows = list(session.scalars(select(ArchivedDocument).order_by(ArchivedDocument.id)))
    if not rows:
        return []
    try:
        root = database.files_dir  # a PostgreSQL firm: its shared folder
    except DatabaseError as exc:
        return [f"{len(rows)} PDF archivé(s) non vérifiable(s) : {exc}"]
    for row in rows:
        path = root / row.path
        if not path.exists():
            problems.append(f"{row.number} : fichier archivé absent ({row.path}).")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256 or len(data) != row.size:
            problems.append(f"{row.number} : empreinte SHA-256 du PDF archivé différente.")
    return problems
