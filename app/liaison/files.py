"""Attachments of liaison entries, stored under ``<database>.files/liaison/``.

Stored files get generated names (a random hex name plus a cleaned extension); the user's
file name is kept only as metadata, so nothing a user types ever becomes a path. Reading a
stored file re-checks that it resolves inside the liaison folder (a tampered row cannot
point elsewhere).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.check import register_check
from app.errors import NotFoundError, ValidationError
from app.i18n import _
from app.liaison.entries import (
    CLOSED,
    EntryInput,
    _audit,
    _log,
    create_entry,
    entry_label,
    get_entry,
)
from app.storage import discard_if_rolled_back, write_file
from models.base import utcnow
from models.liaison import LiaisonAttachment, LiaisonEntry

MAX_SIZE = 25 * 1024 * 1024
_SAFE_NAME = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,10})?$")


def liaison_dir(session: Session) -> Path:
    return session.info["database"].files_dir / "liaison"


def _clean_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def add_attachment(session: Session, entry_id: int, source: str | Path) -> LiaisonAttachment:
    """Copy ``source`` next to the database and attach it to the entry."""
    entry = get_entry(session, entry_id)
    if entry.status == CLOSED:
        raise ValidationError("Pièce jointe", "{field} : la fiche est clôturée.")
    src = Path(source)
    if not src.is_file():
        raise ValidationError(
            "Pièce jointe", "{field} : fichier « {name} » introuvable.", name=src.name
        )
    size = src.stat().st_size
    if size > MAX_SIZE:
        raise ValidationError("Pièce jointe", "{field} : fichier trop volumineux (25 Mo au plus).")
    folder = liaison_dir(session)
    folder.mkdir(parents=True, exist_ok=True)
    stored = uuid.uuid4().hex + _clean_suffix(src.name)
    # Whole or not at all, and removed if this unit of work rolls back (no orphan file).
    discard_if_rolled_back(session, [write_file(folder / stored, src.read_bytes())])
    original = src.name[:255]
    attachment = LiaisonAttachment(
        entry=entry,
        stored_name=stored,
        original_name=original,
        size=size,
        added_at=utcnow(),
        user_id=audit.current_user_id(session),
    )
    session.add(attachment)
    session.flush()
    _log(
        session,
        entry,
        _("Pièce jointe ajoutée : {name}").format(name=original),
        attachment.added_at,
    )
    _audit(
        session,
        entry,
        "attachment",
        _("{label} : pièce jointe {name}").format(label=entry_label(entry), name=original),
    )
    return attachment


def attachment_path(session: Session, attachment_id: int) -> Path:
    """The stored file of an attachment, refusing anything outside the liaison folder."""
    attachment = session.get(LiaisonAttachment, attachment_id)
    if attachment is None:
        raise NotFoundError("Pièce jointe introuvable.")
    folder = liaison_dir(session).resolve()
    path = (folder / attachment.stored_name).resolve()
    if not _SAFE_NAME.match(attachment.stored_name) or path.parent != folder:
        raise ValidationError("Pièce jointe", "{field} : chemin de fichier refusé.")
    if not path.is_file():
        raise NotFoundError(
            "Le fichier de la pièce jointe « {name} » a disparu.", name=attachment.original_name
        )
    return path


def create_entry_with_files(
    session: Session, data: EntryInput, files: Sequence[str | Path] = ()
) -> LiaisonEntry:
    """The quick entry: the entry and its attachments in one unit of work."""
    entry = create_entry(session, data)
    for path in files:
        add_attachment(session, entry.id, path)
    return entry


@register_check("Cahier de liaison")
def check_liaison(session: Session) -> list[str]:
    """Closed entries carry their resolution and date; attachments still have their file."""
    problems: list[str] = []
    for entry in session.scalars(select(LiaisonEntry).where(LiaisonEntry.status == CLOSED)):
        if not entry.resolution.strip() or entry.closed_at is None:
            problems.append(
                _("{label} est clôturée sans résolution ou sans date.").format(
                    label=entry_label(entry)
                )
            )
    database = session.info.get("database")
    if database is None or not session.scalar(select(func.count(LiaisonAttachment.id))):
        return problems
    folder = liaison_dir(session)  # a PostgreSQL firm: in its shared folder
    for attachment in session.scalars(select(LiaisonAttachment)):
        if not _SAFE_NAME.match(attachment.stored_name):
            problems.append(
                _("Pièce jointe n° {id} : nom de fichier stocké refusé.").format(id=attachment.id)
            )
        elif not (folder / attachment.stored_name).is_file():
            problems.append(
                _("Pièce jointe « {name} » (fiche {n}) : fichier absent.").format(
                    name=attachment.original_name, n=attachment.entry_id
                )
            )
    return problems
