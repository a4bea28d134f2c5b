"""Notice letters (avis) to clients: revision notice, termination / non-renewal notice,
renewal reminder. Each is written as an editable DOCX and a PDF under the database's files
folder (``notices/``), logged in :class:`~models.revisions.Notice` and in the client's
history (``app.audit`` with the client id).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.addressing import billing_address_lines
from app.company import get_company
from app.errors import NotFoundError, ValidationError
from app.lookup import get_row
from app.money import format_amount
from app.numbering import next_number
from app.revisions import renewals
from app.revisions.clauses import describe, get_clause
from app.revisions.runs import version_at
from models.clients import Client
from models.contracts import Contract, ContractLine, ContractStatus
from models.revisions import Notice, NoticeKind, Revision
from reports.notices import Letter, write_docx, write_pdf

KIND_LABELS = {
    NoticeKind.REVISION: "Avis de révision",
    NoticeKind.TERMINATION: "Résiliation / non-reconduction",
    NoticeKind.RENEWAL_REMINDER: "Rappel d'échéance",
}
CLOSING = (
    "Nous restons à votre disposition pour tout renseignement et vous prions d'agréer, "
    "Madame, Monsieur, l'expression de nos salutations distinguées."
)


def french_date(day: dt.date) -> str:
    from babel.dates import format_date

    text = format_date(day, "d MMMM y", locale="fr_FR")
    return "1er" + text[1:] if day.day == 1 else text


def _num(text: str) -> str:
    """``"130.500000"`` → ``"130,5"``."""
    from decimal import Decimal

    return format(Decimal(text).normalize(), "f").replace(".", ",")


def _sender(session: Session) -> tuple[str, list[str], str, str, bytes | None]:
    company = get_company(session)
    lines = [s for s in (company.street, company.street2) if s]
    lines.append(f"{company.postcode} {company.city}".strip())
    contact = " — ".join(s for s in (company.phone, company.email) if s)
    if contact:
        lines.append(contact)
    legal = " — ".join(
        s
        for s in (
            f"{company.legal_form} au capital de {format_amount(company.share_capital)}"
            if company.legal_form
            else "",
            f"SIRET {company.siret}" if company.siret else "",
            f"RCS {company.rcs_city} {company.siren}" if company.rcs_city else "",
            f"TVA {company.vat_number}" if company.vat_number else "",
        )
        if s
    )
    return company.name, lines, legal, company.city, company.logo_png


def _base(session: Session, contract: Contract, day: dt.date) -> dict[str, object]:
    client = get_row(session, Client, contract.client_id, "Client")
    name, lines, legal, city, logo = _sender(session)
    title = f" — {contract.title}" if contract.title else ""
    return {
        "sender_name": name,
        "sender_lines": lines,
        "sender_legal": legal,
        "recipient_lines": billing_address_lines(client),
        "place_date": f"{city}, le {french_date(day)}" if city else f"Le {french_date(day)}",
        "reference": f"Contrat {contract.code}{title}",
        "salutation": "Madame, Monsieur,",
        "closing": CLOSING,
        "signature": [name, "Le service clients"],
        "logo_png": logo,
    }


def revision_letter(session: Session, revision: Revision, day: dt.date) -> Letter:
    contract = get_row(session, Contract, revision.contract_id, "Contrat")
    clause = get_clause(session, contract.id)
    effective = french_date(revision.effective_date)
    used = json.loads(revision.index_values or "[]")
    details = ", ".join(
        f"{u['index']} : {_num(u['current'])} ({_month(u['month'])}) contre "
        f"{_num(u['reference'])}"
        + (f" ({_month(u['reference_month'])})" if u.get("reference_month") else "")
        for u in used
    )
    paragraphs = [
        f"Conformément à la clause de révision de votre contrat d'entretien, ses prix sont "
        f"révisés au {effective} selon la formule {describe(clause) if clause else ''}.",
        f"Les indices retenus sont {details}. Le coefficient de révision s'établit ainsi à "
        f"{_num(str(revision.coefficient))} ({revision.formula_text}).",
        "Les nouveaux prix hors taxes de vos prestations sont les suivants :",
    ]
    rows = []
    for rline in revision.lines:
        line = session.get(ContractLine, rline.contract_line_id)
        version = version_at(line, revision.effective_date) if line else None
        label = version.description if version else ""
        rows.append([label, format_amount(rline.old_price), format_amount(rline.new_price)])
    after = [f"Ces prix s'appliquent à compter du {effective}."]
    if revision.effective_date < day:
        after.append(
            "Les périodes déjà facturées depuis cette date à l'ancien prix feront l'objet "
            "d'une régularisation sur votre prochaine facture."
        )
    return Letter(
        subject="Révision annuelle des prix de votre contrat d'entretien",
        paragraphs=paragraphs,
        table_headers=["Prestation", "Prix actuel HT", "Nouveau prix HT"],
        table_rows=rows,
        after_table=after,
        **_base(session, contract, day),  # type: ignore[arg-type]
    )


def _month(iso: str | None) -> str:
    if not iso:
        return "?"
    year, month = iso[:4], iso[5:7]
    return f"{month}/{year}"


def termination_letter(session: Session, contract: Contract, day: dt.date) -> Letter:
    """Termination acknowledged (contract terminated) or non-renewal notice by the firm."""
    base = _base(session, contract, day)
    if contract.status == ContractStatus.TERMINATED and contract.end_date:
        received = f" du {french_date(contract.notice_date)}" if contract.notice_date else ""
        paragraphs = [
            f"Nous accusons réception de votre courrier{received} résiliant le contrat "
            f"{contract.code}, qui prendra fin le {french_date(contract.end_date)}.",
            "Nos prestations se poursuivent normalement jusqu'à cette date ; la dernière "
            "période sera facturée au prorata.",
            "Conformément à l'article 7 de la convention collective des entreprises de "
            "propreté (IDCC 3043), le personnel affecté à votre site a vocation à être repris "
            "par l'entreprise qui nous succédera : merci de nous communiquer ses coordonnées.",
        ]
        subject = "Résiliation de votre contrat d'entretien"
    else:
        end = renewals.term_end_after(contract, day)
        if end is None:
            raise ValidationError(
                "Date de fin",
                "Le contrat {code} n'a pas de date d'échéance : impossible de le dénoncer.",
                code=contract.code,
            )
        deadline = renewals.notice_deadline(contract, end)
        if day > deadline:
            raise ValidationError(
                "Date du courrier",
                "Le préavis de {months} mois n'est plus respecté pour l'échéance du {end} "
                "(limite le {deadline}).",
                months=contract.notice_months,
                end=end.strftime("%d/%m/%Y"),
                deadline=deadline.strftime("%d/%m/%Y"),
            )
        paragraphs = [
            f"Par la présente, nous vous informons que nous ne reconduirons pas le contrat "
            f"{contract.code} à son échéance du {french_date(end)}, dans le respect du préavis "
            f"contractuel de {contract.notice_months} mois.",
            "Nos prestations se poursuivent normalement jusqu'à cette date.",
        ]
        subject = "Non-reconduction de votre contrat d'entretien"
    return Letter(subject=subject, paragraphs=paragraphs, **base)  # type: ignore[arg-type]


def renewal_letter(session: Session, contract: Contract, day: dt.date) -> Letter:
    end = renewals.term_end_after(contract, day)
    if end is None:
        raise ValidationError(
            "Date de fin", "Le contrat {code} n'a pas de date d'échéance.", code=contract.code
        )
    deadline = renewals.notice_deadline(contract, end)
    if contract.tacit_renewal:
        paragraphs = [
            f"Votre contrat d'entretien {contract.code} arrive à échéance le {french_date(end)}.",
            f"Sauf dénonciation par l'une des parties avant le {french_date(deadline)} "
            f"(préavis de {contract.notice_months} mois), il sera reconduit tacitement pour "
            f"{contract.renewal_months} mois.",
        ]
    else:
        paragraphs = [
            f"Votre contrat d'entretien {contract.code} prend fin le {french_date(end)} et ne "
            "se renouvelle pas automatiquement.",
            "Nous serions heureux de poursuivre notre collaboration : nous vous proposons de "
            "convenir d'un rendez-vous pour étudier son renouvellement.",
        ]
    return Letter(
        subject="Échéance de votre contrat d'entretien",
        paragraphs=paragraphs,
        **_base(session, contract, day),  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class NoticeRequest:
    kind: str
    contract_id: int
    revision_id: int | None = None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def produce_notice(
    session: Session, request: NoticeRequest, *, letter_date: dt.date, files_dir: Path
) -> Notice:
    """Write the DOCX and the PDF of one notice, log it and record it in the client history."""
    contract = session.get(Contract, request.contract_id)
    if contract is None:
        raise NotFoundError("Contrat introuvable (n° {id}).", id=request.contract_id)
    if request.kind == NoticeKind.REVISION:
        revision = session.get(Revision, request.revision_id) if request.revision_id else None
        if revision is None:
            revision = session.scalar(
                select(Revision)
                .where(Revision.contract_id == contract.id)
                .order_by(Revision.effective_date.desc())
                .limit(1)
            )
        if revision is None:
            raise NotFoundError("Aucune révision appliquée au contrat {code}.", code=contract.code)
        letter = revision_letter(session, revision, letter_date)
        revision_id: int | None = revision.id
    elif request.kind == NoticeKind.TERMINATION:
        letter, revision_id = termination_letter(session, contract, letter_date), None
    elif request.kind == NoticeKind.RENEWAL_REMINDER:
        letter, revision_id = renewal_letter(session, contract, letter_date), None
    else:
        raise ValidationError("Type d'avis", "Type d'avis inconnu : {kind}.", kind=request.kind)
    folder = files_dir / "notices"
    folder.mkdir(parents=True, exist_ok=True)
    notice = Notice(
        kind=request.kind,
        contract_id=contract.id,
        client_id=contract.client_id,
        revision_id=revision_id,
        letter_date=letter_date,
        subject=letter.subject,
        created_by_id=audit.current_user_id(session),
    )
    session.add(notice)
    session.flush()
    number = next_number(session, "notice", letter_date, doc_type="notice", doc_id=notice.id)
    notice.number = number.text
    letter = dataclasses.replace(letter, reference=f"{letter.reference} — Avis n° {number.text}")
    stem = f"{_slug(number.text)}-{_slug(contract.code)}-{request.kind}"
    write_docx(letter, folder / f"{stem}.docx")
    write_pdf(letter, folder / f"{stem}.pdf")
    notice.docx_path = f"notices/{stem}.docx"
    notice.pdf_path = f"notices/{stem}.pdf"
    audit.record(
        session,
        "contract",
        contract.id,
        "notice",
        f"{KIND_LABELS[request.kind]} n° {number.text} du contrat {contract.code} "
        f"({letter_date:%d/%m/%Y})",
        client_id=contract.client_id,
    )
    return notice


def produce_notices(
    session: Session,
    requests: Sequence[NoticeRequest],
    *,
    letter_date: dt.date,
    files_dir: Path,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[Notice]:
    """Batch: one notice per request (all or nothing: one failure rolls the batch back)."""
    out = []
    for i, request in enumerate(requests):
        if on_progress is not None:
            on_progress(i, len(requests), KIND_LABELS.get(request.kind, ""))
        out.append(produce_notice(session, request, letter_date=letter_date, files_dir=files_dir))
    if on_progress is not None:
        on_progress(len(requests), len(requests), "")
    return out


@dataclass(frozen=True)
class NoticeToSend:
    kind: str
    contract_id: int
    contract_code: str
    client_name: str
    reason: str
    revision_id: int | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def notices_to_send(
    session: Session, today: dt.date, *, alert_days: int = renewals.DEFAULT_ALERT_DAYS
) -> list[NoticeToSend]:
    """Applied revisions without their notice, and renewals / ends in alert without a
    reminder for the current term."""
    sent_revisions = set(
        session.scalars(select(Notice.revision_id).where(Notice.revision_id.is_not(None)))
    )
    out: list[NoticeToSend] = []
    stmt = (
        select(Revision, Contract.code, Client.name)
        .join(Contract, Contract.id == Revision.contract_id)
        .join(Client, Client.id == Contract.client_id)
        .order_by(Revision.effective_date, Contract.code)
    )
    for revision, code, client_name in session.execute(stmt).all():
        if revision.id not in sent_revisions:
            out.append(
                NoticeToSend(
                    NoticeKind.REVISION,
                    revision.contract_id,
                    code,
                    client_name,
                    f"Révision au {revision.effective_date:%d/%m/%Y} "
                    f"(coefficient {_num(str(revision.coefficient))})",
                    revision.id,
                )
            )
    for row in renewals.upcoming(session, today, alert_days=alert_days):
        if not row.alert or row.event == renewals.Event.TERMINATION:
            continue
        since = row.term_end - dt.timedelta(days=366)
        already = session.scalar(
            select(Notice.id).where(
                Notice.contract_id == row.contract_id,
                Notice.kind == NoticeKind.RENEWAL_REMINDER,
                Notice.letter_date > since,
            )
        )
        if already is None:
            out.append(
                NoticeToSend(
                    NoticeKind.RENEWAL_REMINDER,
                    row.contract_id,
                    row.contract_code,
                    row.client_name,
                    row.message,
                )
            )
    return out


def list_notices(session: Session, contract_id: int | None = None) -> list[Notice]:
    stmt = select(Notice).order_by(Notice.created_at.desc())
    if contract_id is not None:
        stmt = stmt.where(Notice.contract_id == contract_id)
    return list(session.scalars(stmt))
