"""``propreo check``: every issued document can be produced as it was issued.

Quick (always): an issued credit note cites the invoice it corrects (BT-25). Complete
(``propreo check --documents``): each issued document's archived PDF exists and matches
its stored SHA-256 (the « Archives des documents » check), and each one not archived yet
is built from its frozen snapshot and validated with the rule sets of its buyer (XSD,
EN 16931, BR-FR where it applies, mandatory mentions) — on the rendering pool, nothing
written.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.check import register_check
from app.documents.build import build_document
from app.errors import PropreoError
from app.lookup import get_row
from app.progress import NO_PROGRESS, Progress
from models.documents import ArchivedDocument
from models.invoices import Invoice, InvoiceKind, InvoiceStatus


@register_check("Avoirs")
def credit_notes_cite_an_invoice(session: Session) -> list[str]:
    rows = session.execute(
        select(Invoice.number).where(
            Invoice.kind == InvoiceKind.CREDIT_NOTE,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.origin_invoice_id.is_(None),
        )
    )
    return [
        f"{number} ne cite aucune facture d'origine (BT-25) : document non conforme."
        for (number,) in rows
    ]


def unproducible_documents(session: Session, progress: Progress = NO_PROGRESS) -> list[str]:
    """Issued documents not archived yet that would not render as valid Factur-X."""
    from app.documents.render import validate_many

    archived = set(session.scalars(select(ArchivedDocument.invoice_id)))
    ids = [
        i
        for i in session.scalars(
            select(Invoice.id)
            .where(Invoice.status == InvoiceStatus.ISSUED)
            .order_by(Invoice.chain_index)
        )
        if i not in archived
    ]
    problems: list[str] = []
    docs = []
    for n, invoice_id in enumerate(ids, 1):
        try:
            docs.append(build_document(session, invoice_id))
        except PropreoError as exc:
            problems.append(f"{get_row(session, Invoice, invoice_id, 'Facture').number} : {exc}")
        if n % 200 == 0:
            progress.step(n, 2 * len(ids), "Lecture des documents émis")
    for doc, findings in zip(docs, validate_many(docs), strict=True):
        if findings:
            rule, field, text = findings[0]
            where = f", champ « {field} »" if field else ""
            problems.append(
                f"{doc.number} ne peut pas être produit : règle {rule}{where} : {text[:300]}"
            )
    return problems
