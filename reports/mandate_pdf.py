"""The SEPA mandate form (« Mandat de prélèvement SEPA ») from plain values. DejaVu only.

Content required by the EPC rulebooks (SDD Core annex VII, SDD B2B annex VII) and the
French banks' model: the title, the unique mandate reference (RUM), the creditor's name,
address and identifier (ICS), the debtor's name, address, IBAN and BIC, recurrent or
one-off payment, the scheme, the standard authorisation text with the refund rights (Core:
8 weeks, 13 months for an unauthorised debit; B2B: no refund, the debtor's bank must be
told), and the place, date and signature boxes.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from reports.text import escape

TITLE = "Mandat de prélèvement SEPA"
CORE, B2B = "CORE", "B2B"
RECURRENT, ONE_OFF = "recurrent", "one_off"
CHECKED, UNCHECKED = "\u2612", "\u2610"  # ☒ ☐ (in DejaVu Sans)


@dataclass(frozen=True)
class Party:
    name: str
    street: str = ""
    postcode_city: str = ""
    country: str = "France"


@dataclass(frozen=True)
class MandateFormData:
    rum: str
    creditor: Party
    creditor_id: str  # ICS
    debtor: Party
    iban: str
    bic: str
    kind: str = RECURRENT  # recurrent / one_off
    scheme: str = CORE  # CORE / B2B
    signature_place: str = ""
    signature_date: dt.date | None = None


def authorisation_text(creditor: str, scheme: str) -> list[str]:
    """The standard French wording of the mandate, by scheme."""
    creditor = escape(creditor)
    first = (
        f"En signant ce formulaire de mandat, vous autorisez (A) {creditor} à envoyer des "
        f"instructions à votre banque pour débiter votre compte, et (B) votre banque à débiter "
        f"votre compte conformément aux instructions de {creditor}."
    )
    if scheme == B2B:
        return [
            first,
            "Ce mandat est uniquement destiné aux paiements interentreprises. Vous n'êtes pas "
            "autorisé à demander à votre banque le remboursement d'une opération après que "
            "votre compte a été débité, mais vous êtes autorisé à demander à votre banque de "
            "ne pas débiter votre compte jusqu'au jour de l'échéance.",
            "Avant le premier prélèvement, remettez une copie de ce mandat signé à votre "
            "banque afin qu'elle l'enregistre.",
        ]
    return [
        first,
        "Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions "
        "décrites dans la convention que vous avez passée avec elle. Une demande de "
        "remboursement doit être présentée dans les 8 semaines suivant la date de débit de "
        "votre compte pour un prélèvement autorisé, et au plus tard dans les 13 mois en cas "
        "de prélèvement non autorisé.",
    ]


RIGHTS_NOTE = (
    "Note : vos droits concernant le présent mandat sont expliqués dans un document que vous "
    "pouvez obtenir auprès de votre banque. Les informations du présent mandat ne sont "
    "utilisées par le créancier que pour la gestion de sa relation avec vous ; vous disposez "
    "d'un droit d'accès et de rectification auprès de lui."
)


def _box(v: bool) -> str:
    return CHECKED if v else UNCHECKED


def render_mandate(data: MandateFormData) -> bytes:
    """One A4 page: the mandate to print, sign and keep (the creditor keeps the original)."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    from reports.fonts import REGULAR, styles
    from reports.receipt_pdf import build_doc

    st = styles()
    buffer = io.BytesIO()
    doc = build_doc(buffer, f"{TITLE} {data.rum}", data.creditor.name)
    scheme_label = (
        "Prélèvement SEPA interentreprises (B2B)" if data.scheme == B2B else "Prélèvement SEPA Core"
    )
    story: list[object] = [
        Paragraph(TITLE, st["title"]),
        Paragraph(scheme_label, st["base"]),
        Spacer(1, 8),
        Paragraph(f"Référence unique du mandat (RUM) : <b>{escape(data.rum)}</b>", st["heading"]),
        Spacer(1, 6),
    ]
    for text in authorisation_text(data.creditor.name, data.scheme):
        story += [Paragraph(text, st["base"]), Spacer(1, 3)]
    story.append(Spacer(1, 7))

    def cell(label: str, value: str) -> list[object]:
        return [Paragraph(label, st["cell_small"]), Paragraph(escape(value) or " ", st["cell"])]

    debtor = [
        [Paragraph("Débiteur (titulaire du compte à débiter)", st["bold"]), ""],
        cell("Nom, prénom ou raison sociale *", data.debtor.name),
        cell("Adresse *", data.debtor.street),
        cell("Code postal, ville *", data.debtor.postcode_city),
        cell("Pays *", data.debtor.country),
        cell("IBAN (numéro de compte) *", data.iban),
        cell("BIC (code de la banque) *", data.bic),
    ]
    creditor = [
        [Paragraph("Créancier", st["bold"]), ""],
        cell("Nom *", data.creditor.name),
        cell("Identifiant créancier SEPA (ICS) *", data.creditor_id),
        cell("Adresse *", data.creditor.street),
        cell("Code postal, ville *", data.creditor.postcode_city),
        cell("Pays *", data.creditor.country),
    ]
    frame = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.HexColor("#bbbbbb")),
    ]
    for rows in (debtor, creditor):
        table = Table(rows, colWidths=[55 * mm, 119 * mm])
        table.setStyle(TableStyle(frame))
        story += [table, Spacer(1, 8)]

    payment = Table(
        [
            [
                Paragraph("Type de paiement *", st["bold"]),
                Paragraph(
                    f"{_box(data.kind != ONE_OFF)} Paiement récurrent / répétitif", st["base"]
                ),
                Paragraph(f"{_box(data.kind == ONE_OFF)} Paiement ponctuel", st["base"]),
            ],
            [
                Paragraph("Schéma", st["bold"]),
                Paragraph(f"{_box(data.scheme != B2B)} SEPA Core", st["base"]),
                Paragraph(f"{_box(data.scheme == B2B)} SEPA interentreprises (B2B)", st["base"]),
            ],
        ],
        colWidths=[40 * mm, 67 * mm, 67 * mm],
    )
    payment.setStyle(TableStyle([*frame[:3], ("LINEBELOW", (0, 0), (-1, 0), 0.25, colors.grey)]))
    story += [payment, Spacer(1, 10)]

    date_text = data.signature_date.strftime("%d/%m/%Y") if data.signature_date else ""
    signature = Table(
        [
            [
                Paragraph("Signé à *", st["cell_small"]),
                Paragraph(escape(data.signature_place) or " ", st["cell"]),
                Paragraph("Le (JJ/MM/AAAA) *", st["cell_small"]),
                Paragraph(date_text or " ", st["cell"]),
            ],
            [Paragraph("Signature(s) du débiteur *", st["cell_small"]), "", "", ""],
            ["", "", "", ""],
        ],
        colWidths=[30 * mm, 57 * mm, 30 * mm, 57 * mm],
        rowHeights=[9 * mm, 6 * mm, 28 * mm],
    )
    signature.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("GRID", (0, 0), (-1, 0), 0.4, colors.black),
                ("SPAN", (0, 1), (-1, 1)),
                ("SPAN", (0, 2), (-1, 2)),
            ]
        )
    )
    story += [signature, Spacer(1, 8)]
    story.append(Paragraph("* Champs obligatoires. " + RIGHTS_NOTE, st["small"]))
    story.append(Spacer(1, 4))
    story.append(
        Paragraph(
            f"À retourner signé à {escape(data.creditor.name)}, accompagné d'un relevé d'identité "
            "bancaire (RIB). Le créancier conserve le mandat original.",
            st["small"],
        )
    )
    doc.build(story)  # type: ignore[attr-defined]
    return buffer.getvalue()
