"""The « Facturation électronique » screen, through its real widgets, against the reference
platform run as a separate process: settings and « Tester la connexion », a month sent
after a confirmation, statuses read back, « Encaissée » after a payment, the e-reporting,
the supplier invoice received and refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.resources import resource_path
from models.einvoicing import ReceivedState
from models.invoices import Invoice
from tests.einvoicing_platform import CLIENT_ID, SECRET, file_keyring, platform_process
from tests.practical import answering
from ui.einvoicing import EInvoicingTab, PlatformSettingsDialog
from ui.main_window import MainWindow


def _wait_idle(qtbot: QtBot, tab: EInvoicingTab, text: str) -> None:
    qtbot.waitUntil(lambda: text in tab.status.text(), timeout=240_000)


def test_the_demo_firm_goes_electronic_from_the_screen(
    qtbot: QtBot, demo_db: Database, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    scenario = {
        "inbox": [str(resource_path("einvoicing", "facture-fournisseur-demo.pdf"))],
        "lifecycle": {"FA2026-00142": ["210:Prestation non réalisée en août"]},
    }
    with file_keyring(tmp_path / "k.json"), platform_process(tmp_path, scenario) as url:
        window = MainWindow(demo_db)
        qtbot.addWidget(window)
        tab = window.tab("Facturation électronique")
        assert isinstance(tab, EInvoicingTab)

        dialog = PlatformSettingsDialog(tab.ctx, tab)
        qtbot.addWidget(dialog)
        for field, value in (
            (dialog.base_url, url),
            (dialog.client_id, CLIENT_ID),
            (dialog.secret, SECRET),
            (dialog.chorus_url, url),
            (dialog.chorus_client_id, CLIENT_ID),
            (dialog.chorus_secret, SECRET),
            (dialog.chorus_login, "TECH_PROPREO@cpro.fr"),
            (dialog.chorus_password, "chorus-demo"),
        ):
            field.setText(value)
        dialog.test()
        assert dialog.result.text() == (
            f"Connexion réussie à {url} (services Flux et Annuaire, jeton obtenu)."
        )

        tab.month.set_period("2026-08")
        with answering() as confirmations:
            tab.send()
            _wait_idle(qtbot, tab, "déposées")
        assert confirmations.texts[0].startswith(
            "11 facture(s) de 2026-08 vont être déposées (10 sur la plateforme agréée, 1 sur Chorus Pro)"
        )
        assert tab.status.text() == "11 factures déposées, 0 en échec."

        tab.status.setText("")
        tab.synchronise()
        _wait_idle(qtbot, tab, "reçu")
        qtbot.waitUntil(lambda: tab.sent.model.rowCount() == 11, timeout=10_000)
        rows = {r.number: r for r in tab.sent.visible_rows()}
        assert rows["FA2026-00142"].action == "refusée par le client : établissez un avoir"
        assert rows["FA2026-00140"].label.startswith("Mise à disposition le ")
        assert rows["FA2026-00139"].label.startswith("Approuvée le ")
        assert tab.received.model.rowCount() == 1
        # The refused invoice asks for a credit note: the button opens Facturation's dialog.
        refused_row = next(
            i for i, r in enumerate(tab.sent.visible_rows()) if r.number == "FA2026-00142"
        )
        tab.sent.view.selectRow(refused_row)
        assert tab.credit_button.isEnabled()
        credit = tab.credit_note(modal=False)
        assert credit is not None and credit.windowTitle() == "Établir un avoir"
        assert credit.invoice_id == rows["FA2026-00142"].invoice_id  # type: ignore[attr-defined]
        credit.close()
        approved_row = next(
            i for i, r in enumerate(tab.sent.visible_rows()) if r.number == "FA2026-00139"
        )
        tab.sent.view.selectRow(approved_row)
        assert not tab.credit_button.isEnabled()

        # A payment recorded → the next synchronisation sends « Encaissée ».
        from app.payments.allocation_rules import AllocationLine
        from app.payments.entry import PaymentForm, record_payment

        with demo_db.write() as session:
            invoice = session.scalar(select(Invoice).where(Invoice.number == "FA2026-00139"))
            assert invoice is not None
            record_payment(
                session,
                PaymentForm(
                    client_id=invoice.client_id, date=dt.date(2026, 9, 12), amount="1800,00"
                ),
                [AllocationLine(invoice.id, Decimal("1800.00"))],
            )
        tab.status.setText("")
        tab.synchronise()
        _wait_idle(qtbot, tab, "« Encaissée » envoyé")
        assert "1 « Encaissée » envoyé," in tab.status.text()
        qtbot.waitUntil(
            lambda: any(
                r.number == "FA2026-00139" and r.label.startswith("Encaissée le 12/09/2026")
                for r in tab.sent.visible_rows()
            ),
            timeout=10_000,
        )

        tab.status.setText("")
        with answering() as confirmations:
            tab.ereport()
            _wait_idle(qtbot, tab, "Paiements du")
        assert "particuliers" in confirmations.texts[0]
        assert "Transactions du 21/08/2026 au 31/08/2026 : 9 élément(s)" in tab.status.text()
        qtbot.waitUntil(lambda: tab.reports.model.rowCount() == 2, timeout=10_000)

        tab.pages.setCurrentIndex(1)
        tab.received.view.selectRow(0)
        monkeypatch.setattr(
            QInputDialog, "getText", staticmethod(lambda *a, **k: ("Commande non reçue", True))
        )
        tab.status.setText("")
        tab.answer(False)
        _wait_idle(qtbot, tab, "Réponse envoyée")
        qtbot.waitUntil(
            lambda: tab.received.visible_rows()[0].state == ReceivedState.REFUSED, timeout=10_000
        )
        assert tab.received.visible_rows()[0].reason == "Commande non reçue"
