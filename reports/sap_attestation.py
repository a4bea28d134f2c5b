"""Yearly tax certificate for services à la personne (attestation fiscale, art. D7233-4
du Code du travail), from plain values. DejaVu fonts only."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from app.money import format_amount
from reports.receipt_pdf import (
    Issuer,
    build_doc,
    client_flowables,
    header_flowables,
    simple_table,
)


@dataclass(frozen=True)
class AttestationData:
    issuer: Issuer
    siren: str
    declaration: str
    declared_on: dt.date | None
    year: int
    client_name: str
    client_address: tuple[str, ...]
    client_code: str
    # (invoice number, invoice date, paid on, SAP amount paid)
    rows: tuple[tuple[str, dt.date, dt.date, Decimal], ...]
    total: Decimal
    place: str = ""
    signed_on: dt.date | None = None


def render_attestation(data: AttestationData) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer

    from reports.fonts import styles

    st = styles()
    buffer = io.BytesIO()
    doc = build_doc(buffer, f"Attestation fiscale {data.year}", data.issuer.name)
    since = f" du {data.declared_on:%d/%m/%Y}" if data.declared_on else ""
    story = header_flowables(
        data.issuer,
        f"Attestation fiscale {data.year} – services à la personne",
        f"Déclaration n° {data.declaration}{since} – SIREN {data.siren}",
    )
    story += client_flowables(
        "Bénéficiaire :", data.client_name, data.client_code, data.client_address
    )
    story.append(
        Paragraph(
            f"Nous attestons que {data.client_name} a payé en {data.year} la somme de "
            f"<b>{format_amount(data.total)}</b> au titre des services à la personne rendus "
            f"à son domicile (entretien de la maison et travaux ménagers, art. D7231-1 du "
            f"Code du travail), somme ouvrant droit au crédit d'impôt de l'article "
            f"199 sexdecies du Code général des impôts.",
            st["base"],
        )
    )
    story.append(Spacer(1, 8))
    rows: list[list[object]] = [["Facture", "Date", "Payée le", "Montant payé (SAP)"]]
    rows += [
        [number, f"{issued:%d/%m/%Y}", f"{paid:%d/%m/%Y}", format_amount(amount)]
        for number, issued, paid, amount in data.rows
    ]
    rows.append(["Total", "", "", format_amount(data.total)])
    story.append(simple_table(rows, [45 * mm, 35 * mm, 35 * mm, 55 * mm], right=(3,)))
    story.append(Spacer(1, 8))
    story.append(
        Paragraph(
            "Seules les sommes effectivement payées par chèque, virement, prélèvement, carte "
            "bancaire ou CESU sont retenues (art. D7233-3 du Code du travail). Les aides "
            "éventuellement perçues pour ces services sont à déduire par le bénéficiaire.",
            st["small"],
        )
    )
    story.append(Spacer(1, 14))
    signed = data.signed_on or dt.date.today()
    place = f"Fait à {data.place}, le " if data.place else "Le "
    story.append(Paragraph(f"{place}{signed:%d/%m/%Y}, pour {data.issuer.name}.", st["base"]))
    doc.build(story)  # type: ignore[attr-defined]
    return buffer.getvalue()
