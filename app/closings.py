"""Signed monthly closings (issue T §6).

Closing a month signs the head of the hash chain as it stands at the end of that month
(the content hash of the last document dated in it or before, and its rank) with the
installation's Ed25519 key. The private key is kept outside the database: in the system
keyring, or where none exists in a 0600 file of the user's configuration folder. ``check``
verifies each closing's signature and that the chain still hashes to the signed head: a
document of a closed month changed and every hash recomputed with the application's own
code is then caught, unless the forger also holds the key. The closing's fingerprint is
printed on the sales journal that goes to the accountant, an anchor outside the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.check import register_check
from app.clock import today as clock_today
from app.errors import StateError, ValidationError
from models.closings import MonthClosing
from models.invoices import Invoice, InvoiceStatus

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEYRING_SERVICE = "Propreo"
KEYRING_ENTRY = "cle-de-cloture"
KEY_FILE_NAME = "cle-cloture.key"
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --- the installation's key --------------------------------------------------------------


def key_file() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("Propreo", "Propreo")) / KEY_FILE_NAME


def _from_keyring() -> str | None:
    """The key kept in the keyring; None when there is no usable keyring."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY) or ""
    except KeyringError:
        return None


def _to_keyring(value: str) -> bool:
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, KEYRING_ENTRY, value)
    except KeyringError:
        return False
    return True


def _write_key_file(value: str) -> None:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    os.chmod(path, 0o600)  # whatever the umask


def save_key(value: str) -> None:
    """Install ``value`` (hex) as this installation's key, replacing any: the keyring,
    else the 0600 key file (app.closing_key imports a key backed up elsewhere)."""
    if _to_keyring(value):
        return
    key_file().unlink(missing_ok=True)
    _write_key_file(value)


def _stored_key() -> str:
    """The private key (hex) of this installation, "" when it has none yet."""
    held = _from_keyring()
    if held:
        return held
    path = key_file()
    return path.read_text().strip() if path.exists() else ""


@overload
def installation_key(*, create: Literal[True]) -> Ed25519PrivateKey: ...
@overload
def installation_key(*, create: bool = False) -> Ed25519PrivateKey | None: ...
def installation_key(*, create: bool = False) -> Ed25519PrivateKey | None:
    """The Ed25519 private key of this installation, made on first use with ``create``
    (kept in the keyring, else in the 0600 key file); None when there is none."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    held = _stored_key()
    if held:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(held))
    if not create:
        return None
    key = Ed25519PrivateKey.generate()
    value = key.private_bytes_raw().hex()
    if not _to_keyring(value):
        _write_key_file(value)
    return key


def _public_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes_raw().hex()


def _message(period: str, count: int, head: str) -> bytes:
    return f"propreo-cloture|{period}|{count}|{head}".encode()


def fingerprint(closing: MonthClosing) -> str:
    """Short form of the signature, printed on the sales journal: XXXX-XXXX-XXXX-XXXX."""
    digest = hashlib.sha256(bytes.fromhex(closing.signature)).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


# --- closing a month ---------------------------------------------------------------------


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    match = _PERIOD.match(period or "")
    if match is None:
        raise ValidationError("Période", "{field} : format attendu AAAA-MM (par ex. 2026-01).")
    start = dt.date(int(match[1]), int(match[2]), 1)
    after = (start + dt.timedelta(days=32)).replace(day=1)
    return start, after - dt.timedelta(days=1)


_CHAINED = (Invoice.status == InvoiceStatus.ISSUED) | Invoice.chain_index.is_not(None)


@dataclass(frozen=True)
class ClosingPreview:
    """What closing ``period`` would seal, said in the confirmation before it is done."""

    period: str
    issued: int  # documents dated in the month
    first: str
    last: str
    chain_count: int  # documents of the chain up to the month's end, earlier months included


def closing_preview(
    session: Session, period: str, *, today: dt.date | None = None
) -> ClosingPreview:
    """The refusals of :func:`close_month` (month not over, already closed, drafts,
    broken chain) before the user is asked, and what the closing would seal."""
    _refuse(session, period, today)
    start, end = month_bounds(period)
    numbers = list(
        session.scalars(
            select(Invoice.number)
            .where(_CHAINED, Invoice.issue_date.between(start, end))
            .order_by(Invoice.chain_index)
        )
    )
    count = session.scalar(
        select(func.max(Invoice.chain_index)).where(_CHAINED, Invoice.issue_date <= end)
    )
    first, last = (numbers[0] or "", numbers[-1] or "") if numbers else ("", "")
    return ClosingPreview(period, len(numbers), first, last, count or 0)


def list_closings(session: Session) -> list[tuple[MonthClosing, str]]:
    """Every closing, newest first, with its fingerprint."""
    rows = session.scalars(select(MonthClosing).order_by(MonthClosing.period.desc()))
    return [(c, fingerprint(c)) for c in rows]


def _refuse(session: Session, period: str, today: dt.date | None) -> None:
    from app.billing.chain import verify_chain

    start, end = month_bounds(period)
    if end >= (today or clock_today()):
        raise ValidationError("Période", "Le mois {period} n'est pas terminé.", period=period)
    if session.scalar(select(MonthClosing.id).where(MonthClosing.period == period)):
        raise StateError("Le mois {period} est déjà clôturé.", period=period)
    drafts = session.scalar(
        select(func.count(Invoice.id)).where(
            Invoice.status == InvoiceStatus.DRAFT, Invoice.issue_date.between(start, end)
        )
    )
    if drafts:
        raise StateError(
            "Clôture de {period} refusée : {n} brouillon(s) daté(s) de ce mois, à émettre "
            "ou à supprimer d'abord.",
            period=period,
            n=drafts,
        )
    broken = verify_chain(session)
    if broken:
        raise StateError(
            "Clôture refusée : la chaîne des factures est rompue ({problem}).", problem=broken[0]
        )


def close_month(session: Session, period: str, *, today: dt.date | None = None) -> MonthClosing:
    """Sign the chain head at the end of ``period`` (AAAA-MM). Refused for a month not
    over, already closed, holding drafts dated in it, or when the chain is broken."""
    _refuse(session, period, today)
    _, end = month_bounds(period)
    last = session.execute(
        select(Invoice.chain_index, Invoice.content_hash)
        .where(_CHAINED, Invoice.issue_date <= end)
        .order_by(Invoice.chain_index.desc())
        .limit(1)
    ).first()
    count, head = (last[0] or 0, last[1] or "") if last else (0, "")
    key = installation_key(create=True)
    closing = MonthClosing(
        period=period,
        chain_head=head,
        chain_count=count,
        public_key=_public_hex(key),
        signature=key.sign(_message(period, count, head)).hex(),
    )
    session.add(closing)
    session.flush()
    audit.record(
        session,
        "closing",
        closing.id,
        "create",
        f"Clôture de {period} : {count} document(s), empreinte {fingerprint(closing)}",
    )
    return closing


def closings_between(session: Session, start: dt.date, end: dt.date) -> list[MonthClosing]:
    """The closings of the months from ``start`` to ``end``."""
    first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
    return list(
        session.scalars(
            select(MonthClosing)
            .where(MonthClosing.period.between(first, last))
            .order_by(MonthClosing.period)
        )
    )


# --- verification ------------------------------------------------------------------------


def _signature_ok(closing: MonthClosing) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(closing.public_key))
        public.verify(
            bytes.fromhex(closing.signature),
            _message(closing.period, closing.chain_count, closing.chain_head),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_closings(session: Session) -> list[str]:
    """Each closing's signature, its key against this installation's (when it holds one),
    and the chain still reaching the signed head."""
    closings = list(session.scalars(select(MonthClosing).order_by(MonthClosing.period)))
    if not closings:
        return []
    key = installation_key()
    own = _public_hex(key) if key is not None else None
    heads = dict(
        session.execute(select(Invoice.chain_index, Invoice.content_hash).where(_CHAINED)).all()
    )
    problems = []
    for c in closings:
        label = f"Clôture {c.period}"
        if not _signature_ok(c):
            problems.append(f"{label} : signature invalide (clôture modifiée).")
        elif own is not None and c.public_key != own:
            problems.append(f"{label} : signée par une autre clé que celle de cette installation.")
        if (heads.get(c.chain_count) or "") != c.chain_head or (c.chain_count and not c.chain_head):
            problems.append(
                f"{label} : la chaîne jusqu'au document de rang {c.chain_count} ne correspond "
                "plus à l'empreinte signée (document d'un mois clos modifié ou supprimé)."
            )
        _, end = month_bounds(c.period)
        late = session.scalar(
            select(func.count(Invoice.id)).where(
                _CHAINED, Invoice.chain_index > c.chain_count, Invoice.issue_date <= end
            )
        )
        if late:
            problems.append(f"{label} : {late} document(s) daté(s) du mois clos émis après.")
    return problems


@register_check("Clôtures mensuelles signées")
def _check_closings(session: Session) -> list[str]:
    return verify_closings(session)
