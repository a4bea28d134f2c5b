"""The printed invoice: every mandatory mention, embedded fonts only, repeated headers,
SDC c/o addressing, 40 € indemnity for professional buyers only."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports.facturx import render_facturx
from reports.invoice_pdf import render_invoice_pdf
from tests import documents_samples as samples

HAS_POPPLER = shutil.which("pdffonts") is not None


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
        )
        text = out.stdout.decode()
    else:
        text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def test_every_mandatory_mention_is_printed(tmp_path: Path) -> None:
    text = text_of(render_facturx(samples.invoice()), tmp_path)
    expected = [
        # seller identity
        "Lumière Propreté Services",
        "SAS au capital de 50 000,00 €",
        "SIRET 81234567400017",
        "RCS Lyon 812345674",
        "N° TVA intracommunautaire FR45812345674",
        "12 rue de la République",
        # buyer identity, SIREN, VAT, site address, purchase order
        "Cabinet Dupont Expertise",
        "SIREN 552100554",
        "TVA FR40552100554",
        "Lieu d'intervention : Siège Dupont, 8 quai Saint-Antoine, 3e étage, 69002 Lyon",
        "BC-2026-118",
        # document identity, dates, period, category
        "FACTURE N° FA2026-00042",
        "31/10/2026",
        "du 01/10/2026 au 31/10/2026",
        "Prestation de services",
        # lines: quantity, unit, unit price HT with its 4 decimals, VAT rate, discount
        "38,4567 €",
        "m²",
        "10,00 €",
        "20 %",
        # totals per rate and amount due
        "2 548,21 €",
        "509,64 €",
        "3 057,85 €",
        "Net à payer",
        # payment: due date as a date, means, IBAN, penalties, indemnity, discount
        "Échéance : 30/11/2026",
        "IBAN FR76 3000 4001 2300 0123 4567 843",
        "BIC BNPAFRPPXXX",
        "pénalités au taux de 12,15 %",
        "Pas d'escompte pour paiement anticipé",
        "40 €",
        "page 1/1",
    ]
    missing = [m for m in expected if m not in text]
    assert not missing, missing
    assert "Autoliquidation" not in text
    assert "débits" not in text  # the firm did not opt: printing it would be a fault


@pytest.mark.skipif(not HAS_POPPLER, reason="poppler-utils absent")
def test_only_embedded_fonts(tmp_path: Path) -> None:
    path = tmp_path / "f.pdf"
    path.write_bytes(render_facturx(samples.multi_rate()))
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    rows = out.stdout.splitlines()[2:]
    assert rows, out.stdout
    for row in rows:
        assert "DejaVuSans" in row, row
        columns = row.split()
        assert columns[-5] == "yes", f"font not embedded: {row}"
    assert "Helvetica" not in out.stdout


def test_multi_page_invoice_repeats_the_header_and_numbers_pages(tmp_path: Path) -> None:
    pdf = render_invoice_pdf(samples.long_invoice(70))
    reader = PdfReader(__import__("io").BytesIO(pdf))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "Désignation" in page and "Total HT" in page, f"header missing on page {number}"
        assert f"page {number}/{len(pages)}" in page
        assert "SIRET 81234567400017" in page  # legal footer on every page
    assert "Passage 70" in pages[-1]
    assert "3 780,00" in pages[-1].replace("\u202f", " ").replace("\xa0", " ")  # 70 × 45 × 1.2


def test_condominium_is_addressed_care_of_its_syndic_without_b2b_indemnity(tmp_path: Path) -> None:
    text = text_of(render_facturx(samples.condominium()), tmp_path)
    assert "SDC Les Tilleuls, 4 rue des Tilleuls" in text
    assert "c/o Régie Bellecour Gestion" in text
    assert "25 avenue Foch" in text
    assert "40 €" not in text
    assert "recouvrement" not in text


def test_person_gets_no_indemnity_professional_does(tmp_path: Path) -> None:
    import dataclasses

    person = dataclasses.replace(
        samples.COMPANY_BUYER,
        name="M. Jean Martin",
        siren="",
        vat_number="",
        professional=False,
        email="j.martin@example.org",
    )
    assert "40 €" not in text_of(render_invoice_pdf(samples.invoice(buyer=person)), tmp_path)
    assert "40 €" in text_of(render_invoice_pdf(samples.invoice()), tmp_path)


def test_special_vat_mentions(tmp_path: Path) -> None:
    reverse = text_of(render_invoice_pdf(samples.reverse_charge()), tmp_path)
    assert "Autoliquidation" in reverse
    assert "art. 283-2 nonies du CGI" in reverse
    debits = text_of(render_invoice_pdf(samples.invoice(vat_on_debits=True)), tmp_path)
    assert "Option pour le paiement de la taxe d'après les débits" in debits


def test_credit_note_cites_the_original_and_down_payments_are_deducted(tmp_path: Path) -> None:
    credit = text_of(render_invoice_pdf(samples.credit_note()), tmp_path)
    assert "AVOIR N° AV2026-00003" in credit
    assert "FA2026-00042 du 31/10/2026" in credit
    final = text_of(render_invoice_pdf(samples.final_after_down_payment()), tmp_path)
    assert "Acomptes déduits" in final and "(FA2026-00044)" in final
    assert "-1 080,00 €" in final or "−1 080,00 €" in final
    assert "2 520,00 €" in final  # 3 600,00 TTC − 1 080,00
