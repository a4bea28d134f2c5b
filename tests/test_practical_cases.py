"""The practical cases of the customer's training programme N1.02 (« Mise en situation —
cas pratiques »), replayed through the real widgets on a copy of the demo firm. Each case
asserts the rows and documents a trainer would check: amounts to the cent, numbers, the
text of the printed PDF, the messages received by a real local SMTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from models.clients import Client, Site
from models.invoices import Invoice
from tests.practical import answering, attachments, pdf_text, smtp_server
from ui.main_window import MainWindow

D = dt.date
E = Decimal


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    return window


def _article(db: Database, code: str) -> int:
    from models.catalog import Article

    with db.read() as s:
        article_id = s.scalar(select(Article.id).where(Article.code == code))
    assert article_id is not None
    return article_id


def create_client_and_site(window: MainWindow) -> tuple[int, int]:
    """Clients → Nouveau client, then Chantiers → Nouveau chantier, typed as a clerk does."""
    clients = window.tab("Clients")
    editor = clients.editor
    editor.new()
    form = editor.form
    form.set_value("kind", "company")
    editor.name_edit.setText("Imprimerie Valette")
    editor.name_edit.textEdited.emit("Imprimerie Valette")  # the code is suggested as typed
    form.set_value("legal_form", "SARL")
    form.set_value("siret", "73282932000074")
    form.set_value("street", "14 rue des Tanneurs")
    form.set_value("postcode", "69002")
    form.set_value("city", "Lyon")
    form.set_value("phone", "04 78 12 34 56")
    form.set_value("email", "contact@imprimerie-valette.fr")
    form.set_value("invoice_email", "compta@imprimerie-valette.fr")
    form.set_value("sending_mode", "email")
    form.set_value("payment_term_kind", "days_eom")
    form.set_value("payment_term_days", 45)
    form.set_value("payment_means", "transfer")
    form.set_value("credit_limit", "8 000")
    assert editor.save(), editor.status.text()
    client_id = editor.client_id
    assert client_id is not None

    sites = window.tab("Chantiers")
    sites.new_site(client_id)
    sf = sites.form
    assert sf.value("client_id") == client_id
    assert sf.value("street") == "14 rue des Tanneurs"  # prefilled from the client
    sf.set_value("name", "Imprimerie Valette — atelier et bureaux")
    sf.set_value("opening_hours", "5h30–7h30")
    sf.set_value("access_codes", "Portail 2580")
    sf.set_value("surfaces", "Bureaux : 320\nAtelier : 850,5\nSanitaires : 40")
    sf.set_value("floor_types", "Carrelage, béton peint")
    sf.set_value("onsite_contact", "M. Valette")
    sf.set_value("onsite_phone", "06 70 80 90 10")
    sites.checks["alarm"].setChecked(True)
    sites.checks["water_point"].setChecked(True)
    assert sites.save(), sites.form.general_error.text()
    assert sites.site_id is not None
    return client_id, sites.site_id


def test_case_1_client_and_site(qtbot: QtBot, demo_db: Database) -> None:
    window = _window(qtbot, demo_db)
    client_id, site_id = create_client_and_site(window)
    with demo_db.read() as s:
        client = s.get(Client, client_id)
        site = s.get(Site, site_id)
        assert client is not None and site is not None
        assert (client.code, client.account_code) == ("IMPR001", "411IMPR001")
        assert (client.siren, client.credit_limit) == ("732829320", E("8000.00"))
        assert (client.payment_term_kind, client.payment_term_days) == ("days_eom", 45)
        assert client.invoice_email == "compta@imprimerie-valette.fr"
        assert site.code == "IMPR001-01" and site.client_id == client_id
        assert (site.postcode, site.city) == ("69002", "Lyon")
        from app.sites import constraints_of, surfaces_of

        assert surfaces_of(site) == {
            "Bureaux": E("320"),
            "Atelier": E("850.5"),
            "Sanitaires": E("40"),
        }
        assert sorted(constraints_of(site)) == ["alarm", "water_point"]
    # The list of the Chantiers tab shows it with its total surface.
    row = next(r for r in window.tab("Chantiers").list.visible_rows() if r.id == site_id)
    assert row.surface == E("1210.5")


def _three_line_contract(window: MainWindow, db: Database, client_id: int, site_id: int) -> int:
    """Contrats → Nouveau: monthly in advance, quarterly in arrears, half-yearly in advance."""
    tab = window.tab("Contrats")
    tab.new_contract()
    tab.form.set_value("client_id", client_id)
    tab.form.set_value("site_id", site_id)
    tab.form.set_value("title", "Entretien de l'atelier et des bureaux")
    tab.form.set_value("reference", "MARCHE-2026-14")
    tab.form.set_value("start_date", D(2026, 7, 1))
    grid = tab.lines
    lines = [
        ("NETCONT", "Entretien courant selon cadencier", "1", "1450", "monthly", "advance"),
        ("VITRINT", "Vitres intérieures", "120", "1,80", "quarterly", "arrears"),
        ("REMSOL", "Décapage et cire de l'atelier", "850", "0,65", "half_yearly", "advance"),
    ]
    for r, (code, label, qty, price, frequency, term) in enumerate(lines):
        if r >= grid.rowCount():
            grid.add_line()
        grid.cellWidget(r, 0).setCurrentIndex(grid.cellWidget(r, 0).findData(_article(db, code)))
        grid.item(r, 1).setText(label)
        grid.item(r, 2).setText(qty)
        grid.item(r, 3).setText(price)
        grid.cellWidget(r, 4).setCurrentIndex(grid.cellWidget(r, 4).findData(frequency))
        grid.cellWidget(r, 5).setCurrentIndex(grid.cellWidget(r, 5).findData(term))
    contract_id = tab.save()
    assert contract_id is not None, tab.form.general_error.text()
    with answering():
        tab.activate()
    assert tab.detail is not None and tab.detail.status == "active"
    return contract_id


def _plan(tab: Any) -> list[tuple[str, ...]]:
    return [
        tuple(
            tab.plan.item(r, c).text().replace("\u202f", " ") if tab.plan.item(r, c) else ""
            for c in range(6)
        )
        for r in range(tab.plan.rowCount())
    ]


def _run_month(qtbot: QtBot, window: MainWindow, period: str) -> Any:
    billing = window.tab("Facturation")
    billing.set_period(period)
    billing.start_run()
    qtbot.waitUntil(
        lambda: billing.warnings.count() > 0 or bool(billing.review and billing.review.drafts),
        timeout=120_000,
    )
    return billing


def _contract_invoices(db: Database, contract_id: int) -> list[tuple[Any, ...]]:
    """(status, number, issue date, HT, TTC, [(line text, qty, unit price, line HT)])."""
    with db.read() as s:
        invoices = s.scalars(
            select(Invoice).where(Invoice.contract_id == contract_id).order_by(Invoice.id)
        )
        return [
            (
                inv.status,
                inv.number,
                inv.issue_date,
                inv.total_ht,
                inv.total_ttc,
                [(li.description, li.quantity, li.unit_price, li.total_ht) for li in inv.lines],
            )
            for inv in invoices
        ]


def _select(listing: Any, record_id: int) -> None:
    for i, row in enumerate(listing.visible_rows()):
        if row.id == record_id:
            listing.view.selectRow(i)
            return
    raise AssertionError(f"ligne {record_id} absente de la liste")


def _issue_selected(qtbot: QtBot, billing: Any, invoice_id: int) -> tuple[list[str], list[str]]:
    """Facturation → select one draft → « Émettre la sélection » (confirmations answered)."""
    billing.load_review()
    _select(billing.drafts, invoice_id)
    billing.last_numbers = []
    with answering() as answers:
        billing.issue(selected_only=True)
        qtbot.waitUntil(lambda: bool(billing.last_numbers), timeout=120_000)
    return list(billing.last_numbers), answers.texts


def _issue_from_the_list(qtbot: QtBot, billing: Any, invoice_id: int, period: str) -> list[str]:
    """Facturation → invoice list filtered on the month's drafts → select → « Émettre »."""
    billing.f_period.set_period(period)
    billing.f_status.setCurrentIndex(billing.f_status.findData("draft"))
    billing.load_invoices()
    qtbot.waitUntil(
        lambda: any(r.id == invoice_id for r in billing.invoices.visible_rows()), timeout=30_000
    )
    _select(billing.invoices, invoice_id)
    billing.last_numbers = []
    with answering():
        billing.issue_listed()
        qtbot.waitUntil(lambda: bool(billing.last_numbers), timeout=120_000)
    return list(billing.last_numbers)


def _pdf(db: Database, invoice_id: int) -> str:
    from app.documents.render import invoice_pdf

    with db.read() as s:
        return pdf_text(invoice_pdf(s, invoice_id))


def _invoice_id(db: Database, number: str) -> int:
    with db.read() as s:
        invoice_id = s.scalar(select(Invoice.id).where(Invoice.number == number))
    assert invoice_id is not None
    return invoice_id


def test_case_3_contract_with_three_lines_and_the_month_end_run(
    qtbot: QtBot, demo_db: Database
) -> None:
    window = _window(qtbot, demo_db)
    client_id, site_id = create_client_and_site(window)
    contract_id = _three_line_contract(window, demo_db, client_id, site_id)
    # The échéancier: monthly in advance (due the 1st), the quarter in arrears (due at its
    # end), the half-year in advance (due on its first day).
    plan = _plan(window.tab("Contrats"))
    assert plan[:5] == [
        ("1", "Entretien courant selon cadencier", "01/07/2026", "31/07/2026", "01/07/2026", "1 450,00"),
        ("3", "Décapage et cire de l'atelier", "01/07/2026", "31/12/2026", "01/07/2026", "552,50"),
        ("1", "Entretien courant selon cadencier", "01/08/2026", "31/08/2026", "01/08/2026", "1 450,00"),
        ("1", "Entretien courant selon cadencier", "01/09/2026", "30/09/2026", "01/09/2026", "1 450,00"),
        ("2", "Vitres intérieures", "01/07/2026", "30/09/2026", "30/09/2026", "216,00"),
    ]  # fmt: skip

    # The automatic month-end run of September catches up July and August.
    billing = _run_month(qtbot, window, "2026-09")
    [(status, number, issued, ht, ttc, lines)] = _contract_invoices(demo_db, contract_id)
    assert (status, number, issued) == ("draft", None, D(2026, 9, 30))
    assert (ht, ttc) == (E("5118.50"), E("6142.20"))
    assert lines == [
        ("Entretien courant selon cadencier — juillet 2026", E("1"), E("1450"), E("1450.00")),
        ("Entretien courant selon cadencier — août 2026", E("1"), E("1450"), E("1450.00")),
        ("Entretien courant selon cadencier — septembre 2026", E("1"), E("1450"), E("1450.00")),
        ("Vitres intérieures — du 01/07/2026 au 30/09/2026", E("120"), E("1.8"), E("216.00")),
        ("Décapage et cire de l'atelier — du 01/07/2026 au 31/12/2026", E("850"), E("0.65"), E("552.50")),
    ]  # fmt: skip

    # Validation: the draft is numbered when issued, and printed as issued.
    with demo_db.read() as s:
        draft_id = s.scalar(select(Invoice.id).where(Invoice.contract_id == contract_id))
    assert draft_id is not None
    numbers, _asked = _issue_selected(qtbot, billing, draft_id)
    [(status, number, issued, ht, ttc, _lines)] = _contract_invoices(demo_db, contract_id)
    assert numbers == [number] and status == "issued" and number.startswith("FA2026-")
    text = _pdf(demo_db, draft_id)
    for expected in (
        number,
        "Imprimerie Valette",
        "MARCHE-2026-14",
        "Vitres intérieures — du 01/07/2026 au 30/09/2026",
        "5 118,50",
        "1 023,70",  # VAT 20 %
        "6 142,20",
    ):
        assert expected in text, expected

    # October: only the month in advance is due; rerunning the month adds nothing.
    _run_month(qtbot, window, "2026-10")
    october = _contract_invoices(demo_db, contract_id)[1]
    assert (october[0], october[2], october[3]) == ("draft", D(2026, 10, 31), E("1450.00"))
    assert [li[0] for li in october[5]] == ["Entretien courant selon cadencier — octobre 2026"]


def issued_contract_invoice(qtbot: QtBot, window: MainWindow, db: Database) -> tuple[int, str]:
    """Cases 1 and 3 again, up to the September invoice of the contract, issued."""
    client_id, site_id = create_client_and_site(window)
    contract_id = _three_line_contract(window, db, client_id, site_id)
    billing = _run_month(qtbot, window, "2026-09")
    with db.read() as s:
        draft_id = s.scalar(select(Invoice.id).where(Invoice.contract_id == contract_id))
    assert draft_id is not None
    [number], _asked = _issue_selected(qtbot, billing, draft_id)
    return draft_id, number


def test_case_6_dematerialised_sending_with_a_test_send(qtbot: QtBot, demo_db: Database) -> None:
    from ui.documents import DocumentsTab, EmailSettingsDialog

    window = _window(qtbot, demo_db)
    invoice_id, number = issued_contract_invoice(qtbot, window, demo_db)
    with smtp_server() as box:
        # Éditions → Paramètres d'envoi: the firm's server, then « Envoyer un e-mail de test ».
        settings = EmailSettingsDialog(window.ctx, window)
        qtbot.addWidget(settings)
        settings.form.set_value("host", box.host)
        settings.form.set_value("port", str(box.port))
        settings.form.set_value("security", "none")
        settings.form.set_value("sender_name", "Lumière Propreté — facturation")
        settings.form.set_value("sender_email", "facturation@lumiere-proprete.fr")
        settings.test_to.setText("responsable@lumiere-proprete.fr")
        with answering() as answers:
            settings.send_test()
            qtbot.waitUntil(lambda: len(box.messages) == 1, timeout=30_000)
            qtbot.waitUntil(lambda: bool(answers.texts), timeout=10_000)
        assert "E-mail de test envoyé à responsable@lumiere-proprete.fr." in answers.texts[0]
        [test] = box.messages
        assert test["To"] == "responsable@lumiere-proprete.fr"
        assert test["Subject"] == "Propreo – e-mail de test"
        assert "facturation@lumiere-proprete.fr" in test["From"]

        # Éditions → the month's documents → send the client's invoice by e-mail.
        tab = window.tab("Éditions")
        assert isinstance(tab, DocumentsTab)
        tab.period.set_period("2026-09")
        tab.refresh()
        rows = [r for r in tab.list.visible_rows() if r.number == number]
        assert len(rows) == 1 and rows[0].sending_mode == "E-mail"
        for i, row in enumerate(tab.list.visible_rows()):
            if row.number == number:
                tab.list.view.selectRow(i)
        with answering() as answers:
            tab.send_run()
            qtbot.waitUntil(
                lambda: any(
                    "compta@imprimerie-valette.fr" in (m["To"] or "") for m in box.messages
                ),
                timeout=60_000,
            )
            qtbot.waitUntil(lambda: any("envoyé" in t for t in answers.texts), timeout=30_000)
        sent = [m for m in box.messages if "compta@imprimerie-valette.fr" in (m["To"] or "")]
        assert len(sent) == 1
        [message] = sent
        assert number in message["Subject"]
        files = attachments(message)
        [pdf_name] = [name for name in files if name.lower().endswith(".pdf")]
        assert number in pdf_name
        text = pdf_text(files[pdf_name])
        assert number in text and "6 142,20" in text and "Imprimerie Valette" in text
    # The send is logged on the document (« Dernier envoi »).
    tab.refresh()
    row = next(r for r in tab.list.visible_rows() if r.number == number)
    assert "compta@imprimerie-valette.fr" in row.sending or "Envoy" in row.sending
    del invoice_id


def test_case_7_payment_with_its_printed_receipt(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    from models.payments import Payment
    from ui.payments import PaymentsTab

    window = _window(qtbot, demo_db)
    invoice_id, number = issued_contract_invoice(qtbot, window, demo_db)
    with demo_db.read() as s:
        client_id = s.get(Invoice, invoice_id).client_id  # type: ignore[union-attr]
    tab = window.tab("Règlements")
    assert isinstance(tab, PaymentsTab)
    dialog = tab.new_payment(client_id)
    qtbot.addWidget(dialog)
    assert [dialog.grid.item(r, 0).text() for r in range(dialog.grid.rowCount())] == [number]
    dialog.form.set_value("date", D(2026, 10, 20))
    dialog.form.set_value("means", "cheque")
    dialog.form.set_value("amount", "6 142,20")
    dialog.form.set_value("cheque_bank", "Banque Populaire")
    dialog.form.set_value("cheque_number", "0012345")
    dialog.suggest()
    assert dialog.grid.item(0, 4).text().replace("\u202f", " ") == "6 142,20"
    with answering():
        dialog.save()
    assert dialog.payment_id is not None, dialog.form.general_error.text()
    with demo_db.read() as s:
        payment = s.get(Payment, dialog.payment_id)
        assert payment is not None
        assert (payment.amount, payment.means, payment.date) == (
            E("6142.20"),
            "cheque",
            D(2026, 10, 20),
        )
        payment_number = payment.number
        from app.ledger import credit_status

        assert credit_status(s, client_id).outstanding == E("0.00")
    assert payment_number.startswith("RG2026-")

    # Printed receipt: select the payment, « Reçu… ».
    _select(tab.list, dialog.payment_id)
    receipt = tmp_path / "recu.pdf"
    tab.save_receipt(str(receipt))
    text = pdf_text(receipt.read_bytes())
    for expected in (payment_number, number, "6 142,20", "Imprimerie Valette", "0012345"):
        assert expected in text, expected


def _jpeg(path: Path, color: tuple[int, int, int]) -> str:
    from PIL import Image

    Image.new("RGB", (320, 240), color).save(path, "JPEG")
    return str(path)


def test_case_2_and_4_tc_quote_with_photos_and_costing_then_billed_from_the_quote(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    from app.quotes import builder
    from app.quotes.schedules import ScheduleRow
    from models.quotes import PlannedJob, Quote

    window = _window(qtbot, demo_db)
    client_id, site_id = create_client_and_site(window)
    # The site's cadencier for the work: the costing reads it.
    sites = window.tab("Chantiers")
    sites.open_site(site_id)
    sites.schedule.add_task(
        ScheduleRow("Décapage atelier", "Atelier", "1", "year", None, "850.5", "60", "AS2")
    )
    sites.schedule.add_task(
        ScheduleRow("Cire et lustrage", "Atelier", "1", "year", "240", None, None, "AS1")
    )
    assert sites.schedule.save_schedule()

    tab = window.tab("Devis")
    day = D(2026, 9, 2)
    tab.today = lambda: day
    editor = tab.new_quote()
    qtbot.addWidget(editor)
    editor.form.set_value("kind", "extra_work")
    editor.form.set_value("client_id", client_id)
    editor.form.set_value("site_id", site_id)
    editor.form.set_value("title", "Remise en état de l'atelier")
    editor.form.set_value("quote_date", day)
    editor.form.set_value("validity_date", day + dt.timedelta(days=30))
    editor.add_line("Enlèvement des encombrants", "2", "forfait", "180", "T20", "service")
    assert editor.save(), editor.form.general_error.text()
    quote_id = editor.quote_id
    assert quote_id is not None
    # Photos before / after.
    assert editor.add_photos([_jpeg(tmp_path / "avant.jpg", (90, 70, 50))], "before", "Avant")
    assert editor.add_photos([_jpeg(tmp_path / "apres.jpg", (230, 230, 220))], "after", "Après")
    # Costing: the site's cadencier × loaded hourly costs, products, margin.
    editor.tabs.setCurrentIndex(1)
    panel = editor.builder
    assert panel.tasks.rowCount() == 2
    panel.products.setText("85")
    panel.equipment.setText("40")
    panel.overheads.setText("10")
    panel.margin.setText("30")
    expected = builder.compute(panel.builder_input())
    assert panel.result == expected and expected.margin_percent == E("30.00")
    # By hand: 850,5 m² / 60 m²/h = 14,175 h of AS2 at 12,22 × 1,385 = 16,9247 → 239,91;
    # 240 min = 4 h of AS1 at 12,10 × 1,385 = 16,7585 → 67,03; labour 306,94 + products 85
    # + equipment 40 = 431,94; overheads 10 % = 43,19; cost 475,13; price = cost / (1 − 30 %).
    assert (expected.hours, expected.labour) == (E("18.175"), E("306.94"))
    assert (expected.overheads, expected.cost_price) == (E("43.19"), E("475.13"))
    assert (expected.selling_price, expected.margin) == (E("678.76"), E("203.63"))
    assert editor.apply_builder()
    editor.close()
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None
        assert quote.total_ht == E("1038.76")  # 678,76 + 2 × 180,00
        assert sorted(p.tag for p in quote.photos) == ["after", "before"]
        quote_ht, quote_ttc = quote.total_ht, quote.total_ttc
        assert quote_ttc == E("1246.51")  # VAT 20 % of 1 038,76 = 207,75
        quote_lines = [(li.label, li.quantity, li.unit_price) for li in quote.lines]

    # Sent, accepted, planned; done and billed from the quote (Planning).
    tab.refresh()
    tab.open_documents = False  # the printed PDF is not opened in a viewer
    with answering():
        tab.send(quote_id, day)
        tab.accept(quote_id, day + dt.timedelta(days=5), plan_date=D(2026, 9, 19))
    with demo_db.read() as s:
        quote = s.get(Quote, quote_id)
        assert quote is not None and quote.status == "accepted"
        quote_number = quote.number
        job_id = s.scalar(select(PlannedJob.id).where(PlannedJob.quote_id == quote_id))
    assert quote_number and quote_number.startswith("DE2026-") and job_id is not None
    planning = window.tab("Planning")
    planning.mark_done(job_id, D(2026, 9, 19))
    invoice = planning.invoice(job_id, D(2026, 9, 21))
    assert invoice is not None
    with demo_db.read() as s:
        inv = s.get(Invoice, invoice.id)
        assert inv is not None and inv.status == "draft" and inv.client_id == client_id
        assert [(li.description, li.quantity, li.unit_price) for li in inv.lines] == quote_lines
        assert (inv.total_ht, inv.total_ttc) == (quote_ht, quote_ttc)

    billing = window.tab("Facturation")
    [number] = _issue_from_the_list(qtbot, billing, invoice.id, "2026-09")
    text = _pdf(demo_db, invoice.id)
    for value in (number, quote_number, "Enlèvement des encombrants", "360,00"):
        assert value in text, value
    assert "1 038,76" in text and "1 246,51" in text


def test_case_4_one_off_billing_from_a_contract(qtbot: QtBot, demo_db: Database) -> None:
    window = _window(qtbot, demo_db)
    client_id, site_id = create_client_and_site(window)
    contract_id = _three_line_contract(window, demo_db, client_id, site_id)
    tab = window.tab("Contrats")
    line_id = tab.detail.current[1].line_id  # the windows, 120 m² at 1,80
    invoice_id = tab.bill_outside_plan(line_id, D(2026, 9, 15), "60")  # an extra 60 m²
    assert invoice_id is not None
    assert "108,00" in tab.status_label.text().replace("\u202f", " ")
    with demo_db.read() as s:
        inv = s.get(Invoice, invoice_id)
        assert inv is not None and inv.status == "draft" and inv.contract_id == contract_id
        assert (inv.total_ht, inv.total_ttc, inv.issue_date) == (
            E("108.00"),
            E("129.60"),
            D(2026, 9, 15),
        )
    billing = window.tab("Facturation")
    [number] = _issue_from_the_list(qtbot, billing, invoice_id, "2026-09")
    text = _pdf(demo_db, invoice_id)
    for value in (number, "Vitres intérieures", "108,00", "129,60", "MARCHE-2026-14"):
        assert value in text, value


def test_case_8_liaison_alert_followed_to_closure(qtbot: QtBot, demo_db: Database) -> None:
    from app.liaison import entries as L
    from app.liaison.views import overdue_count
    from models.liaison import LiaisonAction, LiaisonEntry
    from ui.liaison_quick import open_quick_entry

    window = _window(qtbot, demo_db)
    client_id, site_id = create_client_and_site(window)
    alert = dt.date.today() + dt.timedelta(days=1)
    late = alert + dt.timedelta(days=10)
    base = window.ctx.query(overdue_count, today=late)
    dialog = open_quick_entry(window.ctx, window, client_id=client_id)
    form = dialog.form
    form.set_value("kind", "call")
    form.widget("caller").setText("M. Valette")
    form.set_value("site_id", site_id)
    form.set_value("priority", "high")
    form.set_value("with_alert", True)
    form.set_value("due_date", alert)
    form.set_value("text", "Traces de cire dans l'atelier après le passage de lundi.")
    dialog.save()
    assert dialog.result() == 1, form.general_error.text()
    entry_id = dialog.saved_id
    assert entry_id is not None
    assert window.ctx.query(overdue_count, today=late) == base + 1

    page = window.tab("Cahier de liaison").entries
    page.status.setCurrentIndex(page.status.count() - 1)  # Toutes
    page.select(entry_id)
    panel = page.panel
    assert panel.detail is not None and panel.detail.row.due_date == alert
    panel.status_button("in_progress").click()
    panel.action_text.setText("Chef d'équipe envoyé sur place.")
    panel.add_action_button.click()
    panel.status_button(L.CLOSED).click()
    close = panel.close_dialog
    close.save()  # the resolution is required
    assert "Résolution" in close.error.text()
    close.resolution.setPlainText("Atelier repassé le 08/12 ; le client a confirmé.")
    close.save()
    assert close.result() == 1
    with demo_db.read() as s:
        entry = s.get(LiaisonEntry, entry_id)
        assert entry is not None
        assert (entry.status, entry.client_id, entry.site_id) == (L.CLOSED, client_id, site_id)
        assert entry.resolution == "Atelier repassé le 08/12 ; le client a confirmé."
        assert entry.closed_at is not None
        log = [
            (a.old_status, a.new_status, a.comment)
            for a in s.scalars(
                select(LiaisonAction)
                .where(LiaisonAction.entry_id == entry_id)
                .order_by(LiaisonAction.id)
            )
        ]
    assert [(old, new) for old, new, _c in log if new] == [
        (None, "open") if log[0][0] is None else ("", "open"),
        ("open", "in_progress"),
        ("in_progress", "closed"),
    ]
    assert any(c == "Chef d'équipe envoyé sur place." for _o, _n, c in log)
    # Closed: its alert is no longer counted late, even long after its date.
    assert window.ctx.query(overdue_count, today=late) == base
