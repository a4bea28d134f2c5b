"""« Bloqué » on a client is enforced by the application, not only shown: the month-end run
leaves the client out (saying why), issuing refuses its invoices, a new quote is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.billing.invoices import DraftLine, create_draft_invoice
from app.billing.issuing import issue_invoices
from app.db import Database
from app.errors import ValidationError
from app.quotes.quotes import QuoteForm, create_quote
from models.clients import Client
from models.invoices import Invoice
from models.quotes import Quote
from tests import billing_fixtures as bf
from tests.dialogs import ACCEPT, answer
from ui.billing import BillingTab
from ui.main_window import MainWindow

D = dt.date


@pytest.fixture
def firm(db: Database) -> tuple[int, int]:
    """A blocked client and an ordinary one, each with the three-line contract."""
    with db.write() as s:
        bf.firm(s)
        blocked = bf.client(s, "BLOQ", blocked=True)
        other = bf.client(s, "LIBRE")
        bf.three_line_contract(s, blocked)
        return blocked.id, other.id


def _contract_for(db: Database, client_id: int) -> None:
    from app.billing.contracts import ContractForm, LineForm, activate, create_contract

    with db.write() as s:
        c = create_contract(
            s,
            ContractForm(client_id=client_id, start_date=D(2026, 1, 1), title="Bureaux"),
            [LineForm("Entretien", Decimal(1), Decimal(900), "monthly", "advance")],
            today=D(2026, 1, 10),
        )
        activate(s, c.id)


def test_the_run_leaves_a_blocked_client_out_and_says_why(
    qtbot: QtBot, db: Database, firm: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked_id, other_id = firm
    _contract_for(db, other_id)
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    tab.set_period("2026-03")
    tab.start_run()
    qtbot.waitUntil(lambda: tab.warnings.count() > 0, timeout=60_000)
    assert tab.review is not None
    assert {d.client_id for d in tab.review.drafts} == {other_id}
    warnings = [tab.warnings.item(i).text() for i in range(tab.warnings.count())]
    assert any(
        w.startswith("Société Bloq : client bloqué — non facturé ce mois-ci") for w in warnings
    ), warnings
    with db.read() as s:
        assert s.scalars(select(Invoice).where(Invoice.client_id == blocked_id)).all() == []
    # Unblocked, the next run bills what was left out.
    with db.write() as s:
        s.get(Client, blocked_id).blocked = False
    tab.start_run()
    qtbot.waitUntil(lambda: {d.client_id for d in tab.review.drafts} == {other_id, blocked_id})


def test_issuing_refuses_a_blocked_clients_invoice(
    qtbot: QtBot, db: Database, firm: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked_id, other_id = firm
    with db.write() as s:
        ids = [
            create_draft_invoice(
                s,
                client_id,
                [DraftLine(description="Vitrerie", quantity="1", unit_price="100")],
                issue_date=D(2026, 11, 5),
            ).id
            for client_id in (other_id, blocked_id)
        ]
    refused = "Société Bloq est bloqué : émission de ses"
    with pytest.raises(ValidationError, match=refused), db.write() as s:
        issue_invoices(s, ids)
    # Through the invoice list: the error is shown, nothing is numbered.
    shown: list[str] = []
    monkeypatch.setattr(
        "ui.operations.QMessageBox.warning", lambda _p, _t, text, *a: shown.append(text)
    )
    window = MainWindow(db)
    qtbot.addWidget(window)
    tab = window.tab("Facturation")
    assert isinstance(tab, BillingTab)
    tab.load_invoices()
    tab.invoices.view.selectAll()
    answer(ACCEPT)  # the confirmation (count, totals, numbers); the app then refuses
    tab.issue_listed()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    assert shown[0] == (
        "Société Bloq est bloqué : émission de ses factures impossible. "
        "Débloquez-le d'abord (fiche client, case « Bloqué »)."
    )
    with db.read() as s:
        assert s.scalars(select(Invoice.number).where(Invoice.id.in_(ids))).all() == [None, None]


def test_a_quote_for_a_blocked_client_is_refused(
    qtbot: QtBot, db: Database, firm: tuple[int, int]
) -> None:
    blocked_id, _other = firm
    with pytest.raises(ValidationError, match="nouveau devis impossible"), db.write() as s:
        create_quote(s, QuoteForm(client_id=blocked_id, quote_date=D(2026, 11, 5)))
    window = MainWindow(db)
    qtbot.addWidget(window)
    editor = window.tab("Devis").new_quote()  # type: ignore[attr-defined]
    editor.form.set_value("client_id", blocked_id)
    editor.form.set_value("title", "Remise en état")
    assert editor.save() is False
    assert "Société Bloq est bloqué : nouveau devis impossible" in editor.form.error_text(
        "client_id"
    )
    with db.read() as s:
        assert s.scalars(select(Quote)).all() == []
