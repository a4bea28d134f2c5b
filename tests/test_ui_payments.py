"""Règlements tab clicked through offscreen: entry with allocation grid, receipt, undo,
mandates, SEPA batch file, cheque remittance slip."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.db import Database
from reports.sepa_xml import summary, validate_pain008
from tests.test_payments import issue_invoice, make_client
from ui.main_window import MainWindow
from ui.payments import PaymentDialog, PaymentsTab
from ui.payments_dialogs import MandatesDialog, RemittanceDialog, SepaDialog

E = Decimal
D = dt.date


def setup_firm(db: Database) -> tuple[int, int, str]:
    from app.demo import DemoContext
    from app.demo import company as demo_company

    with db.write() as s:
        demo_company.load(s, DemoContext())
        s.flush()
        client = make_client(s, "DUPO", "Dupont Industrie")
        other = make_client(s, "TILL", "SDC Les Tilleuls")
        other.payment_means = "direct_debit"
        invoice = issue_invoice(s, client, "1440.00", D(2026, 3, 31))
        issue_invoice(s, other, "480.00", D(2026, 3, 31))
        return client.id, other.id, invoice.number or ""


def test_entry_receipt_undo(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    client_id, _other, number = setup_firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Règlements")
    assert isinstance(tab, PaymentsTab)
    dialog = tab.new_payment(client_id)
    assert isinstance(dialog, PaymentDialog)
    assert dialog.grid.rowCount() == 1 and dialog.grid.item(0, 0).text() == number

    dialog.form.set_value("means", "cheque")
    dialog.form.set_value("amount", "1000")
    dialog.save()  # cheque bank and number missing
    assert "numéro du chèque" in dialog.form.error_text("cheque_number")
    dialog.form.set_value("cheque_bank", "Crédit Agricole")
    dialog.form.set_value("cheque_number", "4412078")
    dialog.grid.item(0, 4).setText("1500")
    dialog.save()
    assert "dépasse son solde" in dialog.grid_error.text()
    dialog.suggest()
    assert dialog.grid.item(0, 4).text().replace("\u202f", " ") == "1 000,00"
    assert "reste non affecté" in dialog.rest_label.text()
    dialog.save()
    assert dialog.payment_id is not None

    rows = tab.list.visible_rows()
    assert [(r.number, r.amount, r.invoices) for r in rows] == [
        ("RG2026-00001", E("1000.00"), number)
    ]
    tab.list.view.selectRow(0)
    assert [a.amount for a in tab.allocations.visible_rows()] == [E("1000.00")]
    receipt = tmp_path / "recu.pdf"
    tab.save_receipt(str(receipt))
    assert receipt.read_bytes().startswith(b"%PDF")

    tab.allocations.view.selectRow(0)
    tab.undo_selected_allocation("Mauvaise facture")
    tab.list.view.selectRow(0)
    (allocation,) = tab.allocations.visible_rows()
    assert not allocation.active and "Mauvaise facture" in allocation.state
    assert tab.list.visible_rows()[0].unallocated == E("1000.00")

    remit = RemittanceDialog(window.ctx, window)
    qtbot.addWidget(remit)
    assert len(remit.list.visible_rows()) == 1
    remit.list.view.selectAll()
    slip = tmp_path / "remise.pdf"
    assert remit.create(str(slip)) is not None
    assert slip.read_bytes().startswith(b"%PDF")
    assert remit.list.visible_rows() == []


def test_mandate_then_sepa_batch(
    qtbot: QtBot, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _client, other, _number = setup_firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    mandates = MandatesDialog(window.ctx, other, window)
    qtbot.addWidget(mandates)
    assert mandates.form.value("rum") == "RUM-TILL-001"
    mandates.form.set_value("iban", "FR76 1234")
    mandates.save()
    assert "IBAN" in mandates.form.error_text("iban")
    mandates.form.set_value("iban", "FR7630006000011234567890189")
    mandates.form.set_value("signature_date", dt.date(2026, 1, 5))
    mandates.save()
    assert [m.rum for m in mandates.list.visible_rows()] == ["RUM-TILL-001"]

    sepa = SepaDialog(window.ctx, window)
    qtbot.addWidget(sepa)
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QMessageBox

    from app.payments.sepa_rules import first_target_day_from

    # The invoice announced a date now past: a new pre-notification, 14 days ahead, first.
    day = first_target_day_from(dt.date.today() + dt.timedelta(days=14))
    sepa.date.setDate(QDate(day.year, day.month, day.day))
    assert [(c.amount, c.problem[:29]) for c in sepa.candidates.visible_rows()] == [
        (E("480.00"), "prélèvement annoncé au client")
    ]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    assert sepa.renotify(str(tmp_path / "avis.txt")) == 1
    assert [(c.amount, c.problem) for c in sepa.candidates.visible_rows()] == [(E("480.00"), "")]
    out = tmp_path / "lot.xml"
    assert len(sepa.create(str(out))) == 1
    xml = out.read_bytes()
    validate_pain008(xml)
    assert summary(xml) == (1, E("480.00"))
    sepa.select_batch(sepa.batches.visible_rows()[0].id)
    sepa.confirm()
    assert sepa.batches.visible_rows()[0].status == "confirmed"
    assert [line.status for line in sepa.lines.visible_rows()] == ["paid"]


def test_mandates_open_from_the_client_record(qtbot: QtBot, db: Database) -> None:
    _client, other, _number = setup_firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    clients = window.tab("Clients")
    clients.editor.load(other)  # type: ignore[attr-defined]
    clients.editor.mandates_button.click()  # type: ignore[attr-defined]
    dialogs = [w for w in clients.editor.findChildren(MandatesDialog)]  # type: ignore[attr-defined]
    assert len(dialogs) == 1 and dialogs[0].client_id == other
    assert dialogs[0].form.value("rum") == "RUM-TILL-001"


def test_a_few_cents_short_written_off_when_asked(qtbot: QtBot, db: Database) -> None:
    client_id, _other, _number = setup_firm(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Règlements")
    dialog = tab.new_payment(client_id)  # type: ignore[attr-defined]
    dialog.form.set_value("amount", "1439,97")
    dialog.suggest()
    dialog.writeoff_check.setChecked(True)
    dialog.save()
    assert dialog.payment_id is not None
    tab.list.view.selectRow(0)  # type: ignore[attr-defined]
    (allocation,) = tab.allocations.visible_rows()  # type: ignore[attr-defined]
    assert (allocation.amount, allocation.writeoff, allocation.letter) == (
        E("1439.97"), E("0.03"), "A",
    )  # fmt: skip
