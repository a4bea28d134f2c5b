"""Practical case « Cahier de liaison — création d'une alerte, suivi du traitement jusqu'à
sa clôture », clicked through the real widgets (offscreen)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db import Database
from app.liaison.dashboard import load_dashboard
from app.liaison.entries import CLOSED, EntryInput, create_entry
from app.liaison.views import overdue_count
from models.audit import AuditEvent
from models.clients import Client, Site
from models.liaison import Notification
from models.users import User
from ui.liaison import LiaisonEntriesWidget
from ui.main_window import MainWindow


def _ids(session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    syndic = session.scalar(select(Client).where(Client.name == "Cabinet Vallon Syndic"))
    site = session.scalar(select(Site).where(Site.name.like("Résidence Les Tilleuls%")))
    lucas = session.scalar(select(User).where(User.login == "lucas"))
    return {"syndic": syndic.id, "site": site.id, "copro": site.client_id, "lucas": lucas.id}


def _history(session, client_id: int, entry_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.client_id == client_id,
                AuditEvent.entity_type == "liaison",
                AuditEvent.entity_id == entry_id,
            )
            .order_by(AuditEvent.id)
        )
    )


def test_alert_from_a_syndic_call_followed_to_closure(
    qtbot: QtBot, demo_db: Database, tmp_path: Path
) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    ctx = window.ctx
    ids = ctx.query(_ids)
    before = ctx.query(load_dashboard).total

    # Ctrl+L from anywhere opens the quick entry.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=15000)
    qtbot.keyClick(window.tabs, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.liaison_dialog
    assert window.liaison_action.shortcut().toString() == "Ctrl+L"
    form = dialog.form
    form.widget("caller").setText("Mme Morel, gestionnaire")
    form.set_value("client_id", ids["syndic"])
    sites = [dialog.combo("site_id").itemText(i) for i in range(dialog.combo("site_id").count())]
    assert "Résidence Les Tilleuls — parties communes — Villeurbanne" in sites
    assert len(sites) == 4  # « (aucun) » and the syndic's three copropriétés
    form.set_value("site_id", ids["site"])
    form.set_value(
        "category_id",
        dialog.combo("category_id").itemData(dialog.combo("category_id").findText("Réclamation")),
    )
    form.set_value(
        "department_id",
        dialog.combo("department_id").itemData(
            dialog.combo("department_id").findText("Exploitation")
        ),
    )
    form.set_value("priority", "high")
    form.set_value("with_alert", True)
    form.set_value("due_date", dt.date.today() + dt.timedelta(days=2))
    photo = tmp_path / "hall.jpg"
    photo.write_bytes(b"\xff\xd8photo")
    dialog.add_file(str(photo))
    dialog.save()  # no text yet: refused, the field says why
    assert "décrivez la demande" in form.error_text("text")
    assert dialog.isVisible()
    form.set_value("text", "Le hall du bâtiment B n'a pas été nettoyé cette semaine.")
    dialog.save()
    assert dialog.result() == 1
    entry_id = dialog.saved_id
    assert entry_id is not None

    tab = window.tab("Cahier de liaison")
    page = tab.entries
    page.status.setCurrentIndex(page.status.count() - 1)  # Toutes
    page.select(entry_id)
    panel = page.panel
    assert panel.detail is not None and panel.detail.row.id == entry_id
    assert panel.detail.row.client_name == "Cabinet Vallon Syndic"
    assert [f.original_name for f in panel.detail.attachments] == ["hall.jpg"]

    panel.assignee.setCurrentIndex(panel.assignee.findData(ids["lucas"]))
    qtbot.mouseClick(panel.assign_button, Qt.MouseButton.LeftButton)
    assert panel.detail.row.assignee == "Lucas Moreau"
    qtbot.mouseClick(panel.status_button("in_progress"), Qt.MouseButton.LeftButton)
    panel.action_text.setText("Chef d'équipe envoyé sur place, photos prises.")
    qtbot.mouseClick(panel.add_action_button, Qt.MouseButton.LeftButton)
    assert panel.detail.row.status_label == "En cours"

    qtbot.mouseClick(panel.status_button(CLOSED), Qt.MouseButton.LeftButton)
    close = panel.close_dialog
    assert close is not None and close.isVisible()
    close.save()  # a resolution is required
    assert "Résolution" in close.error.text()
    assert close.isVisible()
    close.resolution.setPlainText("Hall repassé le jour même ; le syndic a confirmé par e-mail.")
    close.save()
    assert close.result() == 1
    detail = panel.detail
    assert detail is not None and detail.row.status == CLOSED
    assert [a.comment for a in detail.actions] == [
        "Fiche créée (Appel).",
        "Pièce jointe ajoutée : hall.jpg",
        "Attribuée à Lucas Moreau.",
        "Statut : En cours.",
        "Chef d'équipe envoyé sur place, photos prises.",
        "Clôturée : Hall repassé le jour même ; le syndic a confirmé par e-mail.",
    ]
    assert not panel.add_action_button.isEnabled()
    assert panel.status_button("open") is not None  # reopen allowed

    # The dashboard counts it.
    board = tab.dashboard.board
    assert board is not None
    assert board.total.closed == before.closed + 1
    assert board.total.total == before.total + 1
    assert tab.dashboard.table.model.rows[-1][4] == before.closed + 1
    assert sum(c for _w, c, _k in tab.dashboard.chart_values()) >= 1

    # The syndic's and the copropriété's histories show it; so does the client form widget.
    expected = ["create", "attachment", "assign", "status", "action", "close"]
    assert ctx.query(_history, ids["syndic"], entry_id) == expected
    assert ctx.query(_history, ids["copro"], entry_id) == expected
    from app.history import client_history

    history = [
        h for h in ctx.query(client_history, ids["syndic"]) if h.entity == "Cahier de liaison"
    ]
    assert history[0].action == "Clôture"
    assert history[0].summary.endswith("En cours → Clôturée")
    assert f"L{entry_id:05d}" in history[0].summary
    assert any("Hall repassé le jour même" in line for line in history[0].details)
    clients_tab = window.tab("Clients")
    clients_tab.open_client(ids["syndic"])
    editor = clients_tab.editor
    editor.panels.setCurrentWidget(editor.liaison)
    assert entry_id in [r.id for r in editor.liaison.list.model.rows]
    sites_tab = window.tab("Chantiers")
    sites_tab.open_site(ids["site"])
    assert entry_id in [r.id for r in sites_tab.liaison.list.model.rows]
    widget = LiaisonEntriesWidget(ctx, client_id=ids["copro"])
    qtbot.addWidget(widget)
    assert entry_id in [r.id for r in widget.list.model.rows]

    # Lucas was told inside the application.
    notes = ctx.query(
        lambda s: list(
            s.scalars(
                select(Notification.text)
                .where(Notification.user_id == ids["lucas"])
                .order_by(Notification.id.desc())
            )
        )
    )
    assert any("vous est attribuée" in n for n in notes)


def test_overdue_alert_shows_at_start_up_and_in_the_badge(qtbot: QtBot, demo_db: Database) -> None:
    def late(session):  # type: ignore[no-untyped-def]
        ids = _ids(session)
        received = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
        return create_entry(
            session,
            EntryInput(
                caller="Conseil syndical",
                site_id=ids["site"],
                text="Clés du local ménage perdues : prévoir un nouveau jeu.",
                due_date=(received + dt.timedelta(days=3)).date(),
                received_at=received,
            ),
        ).id

    with demo_db.write() as session:
        late_id = late(session)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    with demo_db.read() as session:
        count = overdue_count(session)
    assert count >= 1
    notice = window.liaison_notice
    assert notice.isVisible()
    assert f"{count} alertes du cahier de liaison sont en retard." in notice.label.text() or (
        count == 1 and "1 alerte du cahier de liaison est en retard." in notice.label.text()
    )
    # The tooltip lists the oldest overdue alerts (five at most), with due date and assignee.
    lines = notice.toolTip().splitlines()
    assert len(lines) == 1 + min(count, 5)  # no user chosen: no « vous sont attribuées »
    assert all("(échéance " in line for line in lines[1:])
    assert f"Cahier de liaison ({count})" in window.tab_texts()
    assert f"Relation client ({count})" in window.tab_texts()  # seen from every screen

    notice.show_alerts()  # « Voir les alertes »: the tab filtered on overdue entries
    tab = window.tab("Cahier de liaison")
    rows = tab.entries.list.visible_rows()
    assert len(rows) == count and all(r.overdue for r in rows)
    assert late_id in [r.id for r in rows]
    assert not notice.isVisible()

    # Closing it updates the badge at once.
    from app.liaison.entries import close_entry

    window.ctx.call(close_entry, late_id, "Nouveau jeu de clés remis au chef d'équipe.")
    expected = f"Cahier de liaison ({count - 1})" if count > 1 else "Cahier de liaison"
    assert expected in window.tab_texts()


def test_entry_converted_to_a_tc_quote_from_the_panel(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Cahier de liaison")
    page = tab.entries
    row = next(r for r in page.list.visible_rows() if r.site_id and r.quote_id is None)
    page.select(row.id)
    panel = page.panel
    qtbot.mouseClick(panel.quote_button, Qt.MouseButton.LeftButton)
    detail = panel.detail
    assert detail is not None and detail.row.quote_id is not None
    assert detail.row.converted.startswith("devis Brouillon n° ")
    assert detail.actions[-1].comment.startswith("Converti en devis TC")
    assert not panel.quote_button.isEnabled()

    qtbot.mouseClick(panel.amendment_button, Qt.MouseButton.LeftButton)
    dialog = panel.amendment_dialog
    assert dialog is not None
    dialog.form.set_value("contract_id", None)
    dialog.save()  # no contract chosen: the field says so, nothing recorded
    assert "choisissez le contrat" in dialog.form.error_text("contract_id")
    assert dialog.isVisible()


def test_dashboard_filters_and_exports(qtbot: QtBot, demo_db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    page = window.tab("Cahier de liaison").dashboard
    page.date_from.setDate(dt.date(2026, 1, 1))
    page.date_to.setDate(dt.date(2026, 8, 31))
    everything = page.board
    assert everything is not None and everything.total.total == 30
    page.department.setCurrentIndex(page.department.findText("Comptabilité"))
    board = page.board
    assert board is not None
    assert board.total.total == sum(
        c.total for c in everything.by_department if c.label == "Comptabilité"
    )
    assert [c.label for c in board.by_department] == ["Comptabilité"]
    assert "Service : Comptabilité" in page.filters_text()

    xlsx = tmp_path / "cr.xlsx"
    page.export_xlsx(str(xlsx))
    qtbot.waitUntil(lambda: page.last_export == str(xlsx), timeout=15000)
    rows = [[c.value for c in r] for r in load_workbook(xlsx).active.iter_rows()]
    assert [
        "Total",
        None,
        board.total.open,
        board.total.overdue,
        board.total.closed,
        board.total.total,
    ] in rows
    pdf = tmp_path / "cr.pdf"
    page.export_pdf(str(pdf))
    qtbot.waitUntil(lambda: page.last_export == str(pdf), timeout=15000)
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Lumière Propreté Services" in text
    assert "Filtres : Service : Comptabilité" in text
    assert "Période : du 01/01/2026 au 31/08/2026" in text


def test_assignee_is_notified_inside_the_app(qtbot: QtBot, demo_db: Database) -> None:
    with demo_db.write() as session:
        ids = _ids(session)
        create_entry(
            session,
            EntryInput(
                caller="Mme Morel",
                site_id=ids["site"],
                text="Conteneurs non sortis mardi.",
                assignee_id=ids["lucas"],
            ),
        )
    demo_db.user_id = ids["lucas"]
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    with demo_db.read() as session:
        from app.liaison.entries import notifications

        unread = len(notifications(session, ids["lucas"]))
    assert unread >= 1
    assert f"Vous avez {unread} notification" in window.liaison_notice.label.text()
    assert "vous sont attribuées" in window.liaison_notice.label.text()  # Lucas' overdue ones
    tab = window.tab("Cahier de liaison")
    titles = [tab.pages.tabText(i) for i in range(tab.pages.count())]
    assert f"Mes notifications ({unread})" in titles
    page = tab.notifications
    assert any("Conteneurs non sortis mardi." in r.text for r in page.list.model.rows)
    page.mark_read()
    titles = [tab.pages.tabText(i) for i in range(tab.pages.count())]
    assert "Mes notifications" in titles
    assert all(r.read for r in page.list.model.rows)


def test_amendment_request_shows_on_the_contract_form(qtbot: QtBot, demo_db: Database) -> None:
    from app.liaison.convert import request_amendment
    from models.contracts import Contract

    def prepare(session):  # type: ignore[no-untyped-def]
        contract = session.scalars(
            select(Contract).where(Contract.status == "active").order_by(Contract.id)
        ).first()
        entry = create_entry(
            session,
            EntryInput(
                client_id=contract.client_id,
                text="Le client souhaite ajouter un passage le samedi.",
            ),
        )
        request_amendment(session, entry.id, contract.id, "Ajouter un passage le samedi.")
        return contract.id, entry.id

    with demo_db.write() as session:
        contract_id, entry_id = prepare(session)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    tab = window.tab("Contrats")
    tab.open_contract(contract_id)
    rows = tab.liaison.list.model.rows
    assert [r.id for r in rows] == [entry_id]
    assert rows[0].converted.startswith("avenant ")


def test_departments_and_categories_are_edited_in_the_tab(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    settings = window.tab("Cahier de liaison").settings
    cats = settings.categories
    cats.name.setText("Sinistre")
    cats.add()
    names = {r[1]: r for r in cats.list.model.rows}
    assert names["Sinistre"][2] is True
    index = [r[1] for r in cats.list.visible_rows()].index("Sinistre")
    cats.list.view.selectRow(index)
    cats.toggle()  # deactivated: no longer offered in the quick entry
    assert {r[1]: r[2] for r in cats.list.model.rows}["Sinistre"] is False
    window.liaison_action.trigger()
    combo = window.liaison_dialog.combo("category_id")
    assert combo.findText("Sinistre") == -1 and combo.findText("Réclamation") >= 0
    deps = settings.departments
    deps.name.setText("Qualité")
    deps.add()
    assert "Qualité" in [r[1] for r in deps.list.model.rows]
