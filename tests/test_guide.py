"""User guide (issue M): the practical cases (1, 2, 3, 4 automatic and one-off, 5 test send, 6, 7) of docs/guide/20-cas-pratiques.md replayed through the
real widgets on the demo firm; the guide builds and is up to date; F1 and Aide open it; the
screenshot script fails when a documented screen disappears."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.demo.identity import make_siren, make_siret
from app.help import guide_pdf
from models.clients import Client, Site
from models.contracts import Contract
from models.invoices import Invoice
from tests.dialogs import ACCEPT, answer
from tests.pg import target_of
from ui import help as ui_help
from ui import screenshots
from ui.main_window import MainWindow
from ui.tabs import TABS

D = dt.date
SIRET = make_siret(make_siren("52341876"), 10)  # 52341876200101, the guide's example


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    return window


# --- the guide itself ------------------------------------------------------------------------
def test_every_tab_has_a_chapter_in_the_guide() -> None:
    anchors = {h.anchor for h in guide_pdf.parse().headings}
    pages = ui_help.chapter_pages()
    for title, module, cls in TABS:
        chapter = getattr(importlib.import_module(module), cls).help_chapter
        assert chapter, f"onglet {title} sans help_chapter"
        assert chapter in anchors, f"chapitre {chapter} absent de docs/guide"
        assert pages.get(chapter, 0) > 2, f"chapitre {chapter} absent du PDF livré"


def test_self_evaluation_questions_each_answered_by_a_chapter() -> None:
    text = (guide_pdf.SRC / "30-auto-evaluation.md").read_text("utf-8")
    anchors = {h.anchor for h in guide_pdf.parse().headings}
    for question in (
        "Savez-vous créer – modifier un client",
        "Savez-vous créer – modifier un chantier",
        "Avez-vous acquis le process",
        "Savez-vous créer un article à la TVA réglementaire",
        "Savez-vous créer un devis avec les informations réglementaires",
        "Avez-vous acquis la procédure du plan de facturation",
    ):
        assert question in text
    for anchor in ("creer-client", "creer-chantier", "article-tva", "creer-devis"):
        assert f"#{anchor}" in text and anchor in anchors
    assert "#plan-facturation" in text


def test_guide_builds_with_embedded_fonts_and_the_shipped_one_is_current(tmp_path: Path) -> None:
    pdf, pages = guide_pdf.build(out=tmp_path)
    data = pdf.read_bytes()
    assert b"DejaVuSans" in data and b"Helvetica" not in data
    reader = PdfReader(io.BytesIO(data))
    assert "Table des matières" in reader.pages[1].extract_text()
    contracts = reader.pages[pages["contrats"] - 1].extract_text()
    assert "5 — Les contrats d'entretien" in contracts
    assert "Cas 3" in reader.pages[pages["cas-contrat"] - 1].extract_text()
    # The PDF in resources/guide is the one the sources give (run `make guide` otherwise).
    shipped = json.loads((guide_pdf.OUT / "chapters.json").read_text("utf-8"))
    assert shipped == pages, "guide livré périmé : lancez « make guide »"
    assert len(reader.pages) == len(PdfReader(str(guide_pdf.OUT / guide_pdf.PDF_NAME)).pages)
    assert (guide_pdf.OUT / guide_pdf.PDF_NAME).stat().st_size < 10_000_000


def test_guide_refuses_a_missing_image(tmp_path: Path) -> None:
    (tmp_path / "index.md").write_text("# Accueil {#accueil}\n\n![x](images/absente.png)\n")
    with pytest.raises(guide_pdf.GuideError, match=r"absente\.png"):
        guide_pdf.parse(tmp_path)


def test_screenshot_script_fails_on_a_missing_screen(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    base = ["--db", target_of(demo_db), "--out", str(tmp_path), "--only", "clients"]
    assert screenshots.main([*base, "--screen", "Onglet disparu"]) == 2
    assert screenshots.main([*base, "--screen", "Clients:editor.champ_disparu"]) == 2
    assert screenshots.main(base) == 0
    assert (tmp_path / "clients.png").stat().st_size > 10_000
    # Every screen the guide shows is produced by the script, and every one is used.
    used = "".join(p.read_text("utf-8") for p in guide_pdf.chapter_files())
    for screen in screenshots.SCREENS:
        assert f"images/{screen.name}.png" in used, screen.name


def test_f1_and_aide_open_the_guide_at_the_tab_chapter(qtbot: QtBot, demo_db: Database) -> None:
    window = _window(qtbot, demo_db)
    texts = [a.text() for a in window.help_menu.actions()]
    assert "Guide d'utilisation" in texts and "À propos de Propreo" in texts
    window.tab("Contrats")
    f1 = next(a for a in window.actions() if a.objectName() == "action_tab_help")
    assert f1.shortcut().toString() == "F1"
    f1.trigger()
    viewer = window.guide_viewer
    qtbot.addWidget(viewer)
    assert viewer.document.pageCount() > 20
    assert ui_help.page_for("contrats") > 2
    qtbot.waitUntil(lambda: viewer.current_page == ui_help.page_for("contrats"), timeout=10_000)
    viewer.close()
    next(a for a in window.help_menu.actions() if a.objectName() == "action_guide").trigger()
    qtbot.addWidget(window.guide_viewer)
    qtbot.waitUntil(lambda: window.guide_viewer.current_page == 1, timeout=10_000)


# --- practical cases (docs/guide/20-cas-pratiques.md) -----------------------------------------
def _client_and_site(qtbot: QtBot, window: MainWindow) -> tuple[int, int]:
    """Cas 1 — Création des fiches clients / chantier."""
    tab = window.tab("Clients")
    editor = tab.editor
    editor.new()
    editor.form.set_value("kind", "company")
    name = editor.form.widget("name")
    name.setText("Fournil Martin")
    name.textEdited.emit("Fournil Martin")
    assert editor.form.value("code") == "FOUR001"
    for field, value in (
        ("siret", SIRET),
        ("street", "12 rue Mercière"),
        ("postcode", "69002"),
        ("city", "Lyon"),
        ("invoice_email", "compta@fournil-martin.fr"),
    ):
        editor.form.set_value(field, value)
    assert editor.save(), editor.form.general_error.text()
    assert editor.title.text() == "FOUR001 — Fournil Martin"
    client_id = editor.client_id
    tab.new_site(client_id)
    sites = window.tab("Chantiers")
    assert sites.form.value("client_id") == client_id
    sites.form.set_value("name", "Fournil Martin — boutique")
    sites.form.set_value("opening_hours", "6h00–7h00")
    assert sites.save(), sites.status.text()
    site_id = sites.site_id
    return client_id, site_id


def test_case_1_client_and_site(qtbot: QtBot, demo_db: Database) -> None:
    window = _window(qtbot, demo_db)
    client_id, site_id = _client_and_site(qtbot, window)
    with demo_db.read() as s:
        client = s.get(Client, client_id)
        site = s.get(Site, site_id)
        assert (client.code, client.siren, client.city) == ("FOUR001", "523418762", "Lyon")
        assert site.client_id == client_id and site.code.startswith("FOUR001")
        assert site.opening_hours == "6h00–7h00"


def test_cases_3_4_6_7_contract_billing_payment_liaison(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = _window(qtbot, demo_db)
    client_id, site_id = _client_and_site(qtbot, window)
    with demo_db.read() as s:
        from models.catalog import Article

        article = {a.code: a.id for a in s.scalars(select(Article))}
    # Cas 3 — a contract with 3 articles of different frequencies and billing terms.
    tab = window.tab("Contrats")
    tab.new_contract()
    tab.form.set_value("client_id", client_id)
    tab.form.set_value("site_id", site_id)
    tab.form.set_value("title", "Entretien de la boutique")
    tab.form.set_value("start_date", D(2026, 11, 1))
    grid = tab.lines
    while grid.rowCount() < 3:
        grid.add_line()
    for row, (code, quantity, frequency, term) in enumerate(
        (
            ("NETCONT", "1", "monthly", "advance"),
            ("VITRINT", "40", "quarterly", "arrears"),
            ("MULTENC", "1", "one_off", "advance"),
        )
    ):
        combo = grid.cellWidget(row, 0)
        combo.setCurrentIndex(combo.findData(article[code]))
        grid.item(row, 2).setText(quantity)
        grid.cellWidget(row, 4).setCurrentIndex(grid.cellWidget(row, 4).findData(frequency))
        grid.cellWidget(row, 5).setCurrentIndex(grid.cellWidget(row, 5).findData(term))
    grid.item(2, 7).setText("20/11/2026")
    assert grid.item(0, 3).text() == "1250" and grid.item(1, 3).text() == "1,8"
    contract_id = tab.save()
    assert contract_id is not None, tab.status_label.text()
    tab.activate()
    assert tab.detail is not None and tab.detail.status == "active"
    plan = [
        [tab.plan.item(r, c).text().replace("\u202f", " ") for c in (0, 2, 3, 4, 5)]
        for r in range(tab.plan.rowCount())
    ]
    due_in_november = [p for p in plan if p[3].endswith("/11/2026")]
    assert sorted(p[4] for p in due_in_november) == ["1 250,00", "180,00"]
    windows = [p[1:] for p in plan if p[0] == "2"][:2]  # vitres : trimestres civils, terme échu
    assert windows == [
        ["01/11/2026", "31/12/2026", "31/12/2026", "47,74"],
        ["01/01/2027", "31/03/2027", "31/03/2027", "72,00"],
    ]
    # Cas 4 — automatic month-end billing: provisional, then issued with a number.
    billing = window.tab("Facturation")
    billing.set_period("2026-11")
    billing.start_run()
    qtbot.waitUntil(lambda: bool(billing.review and billing.review.drafts), timeout=90_000)
    ours = [d for d in billing.review.drafts if d.client_id == client_id]
    assert [d.total_ht for d in ours] == [Decimal("1430.00")]
    assert ours[0].status == "draft"
    answer(ACCEPT)  # the confirmation: count, totals, numbers, issue date
    billing.issue_all_button.click()
    qtbot.waitUntil(lambda: bool(billing.last_numbers), timeout=90_000)
    with demo_db.read() as s:
        invoice = s.scalar(select(Invoice).where(Invoice.client_id == client_id))
        assert invoice.status == "issued" and invoice.number in billing.last_numbers
        assert invoice.total_ht == Decimal("1430.00") and invoice.total_ttc == Decimal("1716.00")
        assert s.get(Contract, contract_id).status == "active"
        invoice_number = invoice.number

    # Cas 6 — a cheque entered, allocated oldest first, receipt printed.
    payments = window.tab("Règlements")
    dialog = payments.new_payment(client_id)
    qtbot.addWidget(dialog)
    assert [dialog.grid.item(r, 0).text() for r in range(dialog.grid.rowCount())] == [
        invoice_number
    ]
    dialog.form.set_value("means", "cheque")
    dialog.form.set_value("amount", "1716")
    dialog.form.set_value("cheque_bank", "Crédit Lyonnais")
    dialog.form.set_value("cheque_number", "0012345")
    dialog.suggest()
    dialog.save()
    assert dialog.payment_id is not None, dialog.grid_error.text()
    row = next(r for r in payments.list.visible_rows() if r.invoices == invoice_number)
    assert row.amount == Decimal("1716.00") and row.number.startswith("RG2026-")
    payments.list.view.selectRow(payments.list.visible_rows().index(row))
    receipt = tmp_path / "recu.pdf"
    payments.save_receipt(str(receipt))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.read_bytes())).pages)
    assert "Fournil Martin" in text and invoice_number in text
    assert [a.amount for a in payments.allocations.visible_rows()] == [Decimal("1716.00")]

    # Cas 7 — a liaison alert from the client's call, followed to its closure.
    window.liaison_action.trigger()
    quick = window.liaison_dialog
    quick.form.widget("caller").setText("M. Martin")
    quick.form.set_value("client_id", client_id)
    for field, text in (("category_id", "Réclamation"), ("department_id", "Exploitation")):
        combo = quick.combo(field)
        quick.form.set_value(field, combo.itemData(combo.findText(text)))
    quick.form.set_value("with_alert", True)
    quick.form.set_value("due_date", dt.date.today() + dt.timedelta(days=1))
    quick.form.set_value("text", "Vitrine non faite ce matin.")
    quick.save()
    entry_id = quick.saved_id
    assert entry_id is not None
    liaison = window.tab("Cahier de liaison")
    page = liaison.entries
    page.status.setCurrentIndex(page.status.count() - 1)  # Toutes
    page.select(entry_id)
    panel = page.panel
    panel.assignee.setCurrentIndex(1)
    panel.assign_button.click()
    panel.status_button("in_progress").click()
    panel.action_text.setText("Passage refait à 14 h.")
    panel.add_action_button.click()
    panel.status_button("closed").click()
    panel.close_dialog.resolution.setPlainText("Vitrine faite à 14 h, client satisfait.")
    panel.close_dialog.save()
    assert panel.detail.row.status == "closed"
    assert panel.detail.actions[-2].comment == "Passage refait à 14 h."
    assert panel.detail.actions[-1].comment.startswith("Clôturée : Vitrine faite")


def test_cases_2_and_4_tc_quote_then_one_off_invoice_from_the_quote(
    qtbot: QtBot, demo_db: Database
) -> None:
    with demo_db.read() as s:
        site = s.scalar(select(Site).where(Site.code == "ARNA001-01"))
        site_id, client_id = site.id, site.client_id
    window = _window(qtbot, demo_db)
    day = D(2026, 9, 2)
    tab = window.tab("Devis")
    tab.today = lambda: day
    editor = tab.new_quote()
    qtbot.addWidget(editor)
    editor.form.set_value("kind", "extra_work")
    editor.form.set_value("client_id", client_id)
    editor.form.set_value("site_id", site_id)
    editor.form.set_value("title", "Remise en état des bureaux après déménagement")
    editor.form.set_value("quote_date", day)
    editor.form.set_value("validity_date", day + dt.timedelta(days=30))
    editor.add_line("Évacuation des cartons", "1", "forfait", "150", "T20", "service")
    assert editor.save(), editor.form.general_error.text()
    quote_id = editor.quote_id
    tab.refresh()
    tab.open_documents = False
    answer(QMessageBox.ButtonRole.ActionRole)  # numbered, then printed (no mail server)
    tab.send(quote_id, day)
    tab.accept(quote_id, day + dt.timedelta(days=3), plan_date=D(2026, 9, 12))
    with demo_db.read() as s:
        from models.quotes import PlannedJob, Quote

        quote = s.get(Quote, quote_id)
        number = quote.number
        assert quote.status == "accepted" and number.startswith("DE2026-")
        job_id = s.scalar(select(PlannedJob.id).where(PlannedJob.quote_id == quote_id))
    planning = window.tab("Planning")
    planning.show_week(D(2026, 9, 12))
    assert number in planning.grid.item(0, 5).text()  # samedi 12/09
    planning.mark_done(job_id, D(2026, 9, 12))
    invoice = planning.invoice(job_id, D(2026, 9, 14))
    with demo_db.read() as s:
        inv = s.get(Invoice, invoice.id)
        assert inv.status == "draft" and number in inv.title
        assert inv.total_ht == Decimal("150.00") and inv.total_ttc == Decimal("180.00")


def test_case_5_test_email_from_the_settings(
    qtbot: QtBot, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    from tests.test_email import Inbox, free_port
    from ui import documents

    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    shown: list[str] = []
    monkeypatch.setattr(
        documents.QMessageBox, "information", lambda _p, _t, text, *a: shown.append(text)
    )
    try:
        window = _window(qtbot, demo_db)
        window.tab("Éditions")
        dialog = documents.EmailSettingsDialog(window.ctx, window)
        qtbot.addWidget(dialog)
        for field, value in (
            ("host", "127.0.0.1"),
            ("port", str(port)),
            ("security", "none"),
            ("username", ""),
            ("sender_email", "factures@lumiere-proprete.fr"),
        ):
            dialog.form.set_value(field, value)
        dialog.test_to.setText("moi@lumiere-proprete.fr")
        dialog.send_test()
        qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    finally:
        controller.stop()
    assert shown == ["E-mail de test envoyé à moi@lumiere-proprete.fr."]
    assert [to for to, _message in handler.messages] == [["moi@lumiere-proprete.fr"]]
