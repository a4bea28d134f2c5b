"""Liaison book rules: quick entry, workflow, closing rule, overdue, notifications,
attachments, dashboard counts and average time to close."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import StateError, ValidationError, ValidationErrors
from app.liaison import entries as liaison
from app.liaison.dashboard import (
    EntryFacts,
    compute_dashboard,
    export_dashboard_pdf,
    export_dashboard_xlsx,
    format_duration,
    load_dashboard,
)
from app.liaison.entries import CLOSED, IN_PROGRESS, OPEN, WAITING, EntryInput
from app.liaison.files import add_attachment, attachment_path
from app.liaison.views import EntryFilter, entry_detail, list_entries, startup_alerts
from models.audit import AuditEvent
from models.clients import Client, Site
from models.liaison import LiaisonAttachment, LiaisonCategory, Notification
from models.users import Department, User

UTC = dt.UTC


def at(day: int, month: int = 3, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def firm(session: Session) -> dict[str, object]:
    liaison.ensure_default_categories(session)
    syndic = Client(code="FONC", name="Foncia Lyon", kind="syndic")
    session.add(syndic)
    session.flush()
    copro = Client(code="COPRO1", name="SDC Les Tilleuls", kind="condominium", manager_id=syndic.id)
    other = Client(code="AUTRE", name="Autre client")
    session.add_all([copro, other])
    session.flush()
    site = Site(code="TIL", name="Résidence Les Tilleuls", client_id=copro.id, city="Lyon")
    session.add(site)
    alice = User(login="alice", full_name="Alice Martin", initials="AM", role="exploitation")
    bob = User(login="bob", full_name="Bob Durand", initials="BD", role="commercial")
    session.add_all([alice, bob])
    session.flush()
    deps = {d.name: d for d in session.scalars(select(Department))}
    cats = {c.name: c for c in session.scalars(select(LiaisonCategory))}
    return {
        "syndic": syndic,
        "copro": copro,
        "other": other,
        "site": site,
        "alice": alice,
        "bob": bob,
        "exploitation": deps["Exploitation"],
        "commercial": deps["Commercial"],
        "complaint": cats["Réclamation"],
        "quote": cats["Demande de devis"],
    }


def syndic_call(f: dict[str, object], **kw: object) -> EntryInput:
    values: dict[str, object] = dict(
        kind="call",
        caller="M. Perrin (gestionnaire Foncia)",
        client_id=f["syndic"].id,  # type: ignore[attr-defined]
        site_id=f["site"].id,  # type: ignore[attr-defined]
        department_id=f["exploitation"].id,  # type: ignore[attr-defined]
        category_id=f["complaint"].id,  # type: ignore[attr-defined]
        priority="high",
        text="Hall d'entrée non nettoyé depuis lundi.\nLes résidents se plaignent.",
        due_date=dt.date(2026, 3, 5),
        received_at=at(2),
    )
    values.update(kw)
    return EntryInput(**values)  # type: ignore[arg-type]


def test_syndic_call_about_a_site_followed_to_closure(session: Session, firm: dict) -> None:
    entry = liaison.create_entry(session, syndic_call(firm))
    assert entry.status == OPEN
    assert entry.subject == "Hall d'entrée non nettoyé depuis lundi."
    liaison.assign_entry(session, entry.id, firm["alice"].id, now=at(2, hour=11))
    liaison.change_status(session, entry.id, IN_PROGRESS, now=at(2, hour=12))
    liaison.add_action(session, entry.id, "Chef d'équipe envoyé sur place.", now=at(3))
    liaison.change_status(
        session, entry.id, WAITING, comment="Attente retour du syndic", now=at(3, hour=15)
    )
    with pytest.raises(ValidationError) as exc:
        liaison.close_entry(session, entry.id, "   ", now=at(4))
    assert exc.value.field == "Résolution"
    assert entry.status == WAITING
    liaison.close_entry(
        session, entry.id, "Hall nettoyé, passage supplémentaire offert.", now=at(4)
    )
    assert entry.status == CLOSED
    assert entry.closed_at == at(4)

    detail = entry_detail(session, entry.id, today=dt.date(2026, 3, 10))
    assert [a.comment for a in detail.actions] == [
        "Fiche créée (Appel).",
        "Attribuée à Alice Martin.",
        "Statut : En cours.",
        "Chef d'équipe envoyé sur place.",
        "Statut : En attente client. Attente retour du syndic",
        "Clôturée : Hall nettoyé, passage supplémentaire offert.",
    ]
    assert detail.actions[-1].status_change == "En attente client → Clôturée"
    assert detail.next_statuses == [(OPEN, "Ouverte")]
    assert detail.row.overdue is False
    assert detail.resolution == "Hall nettoyé, passage supplémentaire offert."

    # The syndic's history and the copropriété's (owner of the site) both show it.
    for client in (firm["syndic"], firm["copro"]):
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.client_id == client.id, AuditEvent.entity_type == "liaison"
            )
        ).all()
        assert [e.action for e in events] == [
            "create",
            "assign",
            "status",
            "action",
            "status",
            "close",
        ]
    assert "Hall nettoyé" in events[-1].details

    # Alice was told at each step done by someone else.
    notes = session.scalars(
        select(Notification).where(Notification.user_id == firm["alice"].id)
    ).all()
    assert len(notes) == 5
    assert (
        notes[0].text
        == f"Fiche L{entry.id:05d} « Hall d'entrée non nettoyé depuis lundi. » vous est attribuée."
    )


def test_workflow_refuses_illegal_moves_and_allows_reopen(session: Session, firm: dict) -> None:
    entry = liaison.create_entry(session, syndic_call(firm))
    with pytest.raises(StateError, match="« Ouverte » à « Ouverte »"):
        liaison.change_status(session, entry.id, OPEN, now=at(3))
    liaison.close_entry(session, entry.id, "Réglé au téléphone.", now=at(3))
    with pytest.raises(StateError):
        liaison.add_action(session, entry.id, "trop tard", now=at(4))
    with pytest.raises(StateError):
        liaison.change_status(session, entry.id, IN_PROGRESS, now=at(4))
    liaison.reopen_entry(session, entry.id, "Le syndic rappelle : toujours sale.", now=at(5))
    assert entry.status == OPEN
    assert entry.closed_at is None
    assert liaison.WORKFLOW.allowed(OPEN) == [CLOSED, IN_PROGRESS, WAITING]


def test_quick_entry_validation_names_the_fields(session: Session, firm: dict) -> None:
    with pytest.raises(ValidationErrors) as exc:
        liaison.create_entry(
            session,
            syndic_call(
                firm,
                text=" ",
                client_id=firm["other"].id,
                priority="x",
                due_date=dt.date(2026, 3, 1),
            ),
        )
    assert set(exc.value.fields) == {"Texte", "Chantier", "Priorité", "Date d'alerte"}
    # The client is deduced from the site when the caller gave only the building.
    entry = liaison.create_entry(session, syndic_call(firm, client_id=None))
    assert entry.client_id == firm["copro"].id


def test_overdue_detection_and_startup_alerts(session: Session, firm: dict) -> None:
    late = liaison.create_entry(session, syndic_call(firm, assignee_id=firm["alice"].id))
    liaison.create_entry(session, syndic_call(firm, due_date=dt.date(2026, 3, 20)))
    done = liaison.create_entry(session, syndic_call(firm))
    liaison.close_entry(session, done.id, "Fait.", now=at(3))
    assert liaison.is_overdue(OPEN, dt.date(2026, 3, 5), dt.date(2026, 3, 5)) is False
    assert liaison.is_overdue(OPEN, dt.date(2026, 3, 5), dt.date(2026, 3, 6)) is True
    assert liaison.is_overdue(CLOSED, dt.date(2026, 3, 5), dt.date(2026, 3, 6)) is False
    today = dt.date(2026, 3, 6)
    rows = list_entries(session, EntryFilter(overdue_only=True), today=today)
    assert [r.id for r in rows] == [late.id]
    alerts = startup_alerts(session, firm["alice"].id, today=today)
    assert (alerts.overdue, alerts.overdue_mine, alerts.unread) == (1, 1, 1)
    assert alerts.lines[0] == "1 alerte du cahier de liaison est en retard."
    assert alerts.lines[1] == "1 d'entre elles vous est attribuée."
    assert "échéance 05/03/2026, Alice Martin" in alerts.lines[2]
    assert liaison.mark_notifications_read(session, firm["alice"].id) == 1
    assert startup_alerts(session, firm["alice"].id, today=today).unread == 0
    assert startup_alerts(session, None, today=dt.date(2026, 3, 5)).any is False


def test_client_filter_includes_entries_about_its_sites(session: Session, firm: dict) -> None:
    liaison.create_entry(session, syndic_call(firm))
    liaison.create_entry(session, syndic_call(firm, site_id=None, client_id=firm["other"].id))
    assert len(list_entries(session, EntryFilter(client_id=firm["copro"].id))) == 1
    assert len(list_entries(session, EntryFilter(client_id=firm["syndic"].id))) == 1
    assert len(list_entries(session, EntryFilter(site_id=firm["site"].id))) == 1
    assert len(list_entries(session, EntryFilter(status="active"))) == 2


def test_attachments_get_generated_names_and_refuse_traversal(
    session: Session, firm: dict, tmp_path: Path
) -> None:
    entry = liaison.create_entry(session, syndic_call(firm))
    photo = tmp_path / "../photo hall.JPG"
    photo.write_bytes(b"\xff\xd8jpeg")
    attachment = add_attachment(session, entry.id, photo)
    assert attachment.original_name == "photo hall.JPG"
    assert attachment.stored_name.endswith(".jpg") and len(attachment.stored_name) == 36
    path = attachment_path(session, attachment.id)
    assert path.read_bytes() == b"\xff\xd8jpeg"
    assert path.parent.name == "liaison"
    from app.liaison.files import check_liaison

    assert check_liaison(session) == []
    path.unlink()
    assert check_liaison(session) == [
        f"Pièce jointe « photo hall.JPG » (fiche {entry.id}) : fichier absent."
    ]
    tampered = session.get(LiaisonAttachment, attachment.id)
    tampered.stored_name = "../../etc/passwd"
    with pytest.raises(ValidationError, match="chemin de fichier refusé"):
        attachment_path(session, attachment.id)
    assert check_liaison(session) == [
        f"Pièce jointe n° {attachment.id} : nom de fichier stocké refusé."
    ]


def test_categories_and_departments_are_editable(session: Session, firm: dict) -> None:
    cat = liaison.save_category(session, "Sinistre")
    liaison.save_category(session, "Sinistre / dégât des eaux", category_id=cat.id)
    assert cat.name == "Sinistre / dégât des eaux"
    with pytest.raises(ValidationError, match="existe déjà"):
        liaison.save_category(session, "Réclamation")
    dep = liaison.save_department(session, "Qualité")
    assert dep.id is not None
    assert liaison.ensure_default_categories(session) == 0


def facts(received: dt.datetime, closed: dt.datetime | None = None, **kw: object) -> EntryFacts:
    return EntryFacts(
        received=received,
        closed=closed,
        status=CLOSED if closed else str(kw.pop("status", OPEN)),
        due_date=kw.pop("due", None),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_dashboard_counts_and_average_time_exactly() -> None:
    today = dt.date(2026, 3, 20)
    board = compute_dashboard(
        [
            facts(
                at(2), at(4), department="Exploitation", category="Réclamation", assignee="Alice"
            ),
            facts(
                at(3),
                at(3, hour=16),
                department="Exploitation",
                category="Réclamation",
                assignee="Alice",
            ),
            facts(at(9), department="Commercial", category="Devis", due=dt.date(2026, 3, 10)),
            facts(
                at(10),
                status=WAITING,
                department="Exploitation",
                due=dt.date(2026, 3, 25),
                assignee="Bob",
            ),
        ],
        today,
    )
    assert (board.total.open, board.total.overdue, board.total.closed, board.total.total) == (
        2,
        1,
        2,
        4,
    )
    # (48 h + 6 h) / 2 = 27 h
    assert board.average_close == dt.timedelta(hours=27)
    assert format_duration(board.average_close) == "1 j 3 h"
    expl = board.by_department[0]
    assert (expl.label, expl.open, expl.overdue, expl.closed) == ("Exploitation", 1, 0, 2)
    com = board.by_department[1]
    assert (com.label, com.open, com.overdue, com.closed) == ("Commercial", 1, 1, 0)
    assert [(c.label, c.total) for c in board.by_assignee] == [
        ("Alice", 2),
        ("(non renseigné)", 1),
        ("Bob", 1),
    ]
    assert [(w.label, w.created, w.closed) for w in board.weeks] == [
        ("2026-S10", 2, 2),
        ("2026-S11", 2, 0),
    ]


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 2000))),
        max_size=30,
    )
)
def test_dashboard_groups_always_add_up(items: list[tuple[int, int | None]]) -> None:
    start = dt.datetime(2026, 1, 5, 9, tzinfo=UTC)
    rows = [
        facts(
            start + dt.timedelta(days=d),
            None if h is None else start + dt.timedelta(days=d, hours=h),
            department="ABC"[d % 3],
            due=(start + dt.timedelta(days=d + 3)).date(),
        )
        for d, h in items
    ]
    board = compute_dashboard(rows, dt.date(2026, 2, 1))
    for groups in (board.by_department, board.by_category, board.by_assignee):
        assert sum(c.total for c in groups) == len(rows)
        assert sum(c.overdue for c in groups) == board.total.overdue
    assert sum(w.created for w in board.weeks) == len(rows)
    assert sum(w.closed for w in board.weeks) == board.total.closed


def test_dashboard_from_database_with_filters_and_exports(
    session: Session, firm: dict, tmp_path: Path
) -> None:
    a = liaison.create_entry(session, syndic_call(firm, assignee_id=firm["alice"].id))
    liaison.close_entry(session, a.id, "Repassage effectué.", now=at(5, hour=10))
    liaison.create_entry(
        session,
        syndic_call(
            firm,
            department_id=firm["commercial"].id,
            category_id=firm["quote"].id,
            due_date=dt.date(2026, 3, 10),
            received_at=at(9),
        ),
    )
    board = load_dashboard(session, today=dt.date(2026, 3, 12))
    assert (board.total.open, board.total.overdue, board.total.closed) == (1, 1, 1)
    assert board.average_close == dt.timedelta(days=3)
    only = load_dashboard(
        session, EntryFilter(department_id=firm["commercial"].id), today=dt.date(2026, 3, 12)
    )
    assert (only.total.total, only.average_close) == (1, None)

    from openpyxl import load_workbook

    xlsx = export_dashboard_xlsx(board, tmp_path / "cr.xlsx")
    ws = load_workbook(xlsx).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["Axe", "Valeur", "Ouvertes", "Dont en retard", "Clôturées", "Total"]
    assert ["Service", "Exploitation", 0, 0, 1, 1] in values
    assert ["Total", None, 1, 1, 1, 2] in values
    assert values[-1][:2] == ["Délai moyen de clôture", "3 j 0 h"]

    from pypdf import PdfReader

    pdf = export_dashboard_pdf(
        board, tmp_path / "cr.pdf", firm="Lumière Propreté", period="mars 2026"
    )
    reader = PdfReader(pdf)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Cahier de liaison — tableau de compte rendu" in text
    assert "Délai moyen de clôture" in text and "3 j 0 h" in text
    assert "Exploitation" in text and "Demande de devis" in text
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("DejaVuSans" in f for f in fonts), fonts


def test_entry_converted_to_a_tc_quote_keeps_the_link(session: Session, firm: dict) -> None:
    from app.liaison.convert import convert_to_quote
    from models.quotes import Quote

    entry = liaison.create_entry(
        session, syndic_call(firm, category_id=firm["quote"].id, text="Devis vitrerie du hall ?")
    )
    quote = convert_to_quote(session, entry.id, quote_date=dt.date(2026, 3, 2))
    assert isinstance(quote, Quote)
    # Billed to the copropriété owning the site, not to the syndic who called.
    assert (quote.client_id, quote.site_id, quote.kind) == (
        firm["copro"].id,
        firm["site"].id,
        "extra_work",
    )
    assert quote.title == "Devis vitrerie du hall ?"
    assert (entry.quote_id, entry.converted_kind, entry.status) == (quote.id, "devis", IN_PROGRESS)
    row = list_entries(session)[0]
    assert row.converted == f"devis Brouillon n° {quote.id}"
    with pytest.raises(StateError, match="a déjà donné le devis"):
        convert_to_quote(session, entry.id)


def test_amendment_request_is_linked_to_the_contract(session: Session, firm: dict) -> None:
    from app.liaison.convert import request_amendment
    from models.contracts import Contract

    contract = Contract(
        code="CT-TIL", client_id=firm["copro"].id, start_date=dt.date(2025, 1, 1), status="active"
    )
    foreign = Contract(
        code="CT-AUT", client_id=firm["other"].id, start_date=dt.date(2025, 1, 1), status="active"
    )
    session.add_all([contract, foreign])
    session.flush()
    entry = liaison.create_entry(session, syndic_call(firm, text="Ajouter le nettoyage des caves."))
    with pytest.raises(ValidationError, match="n'est pas un contrat de ce client"):
        request_amendment(session, entry.id, foreign.id, "x")
    with pytest.raises(ValidationError) as exc:
        request_amendment(session, entry.id, contract.id, " ")
    assert exc.value.field == "Demande"
    request_amendment(session, entry.id, contract.id, "Caves : 1 passage par mois.")
    assert (entry.contract_id, entry.converted_kind, entry.converted_ref) == (
        contract.id,
        "avenant",
        "CT-TIL",
    )
    assert entry.department_id == firm["commercial"].id
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "contract", AuditEvent.entity_id == contract.id
        )
    ).one()
    assert event.action == "amendment_request" and event.client_id == firm["copro"].id
    assert "Caves : 1 passage par mois." in event.summary


def test_entry_form_update_records_changes_and_tells_the_new_assignee(
    session: Session, firm: dict
) -> None:
    entry = liaison.create_entry(session, syndic_call(firm))
    data = syndic_call(firm, priority="urgent", assignee_id=firm["bob"].id)
    changes = liaison.update_entry(session, entry.id, data, now=at(3))
    assert changes == {"priority": ("high", "urgent"), "assignee_id": (None, firm["bob"].id)}
    assert liaison.update_entry(session, entry.id, data, now=at(3)) == {}
    notes = session.scalars(
        select(Notification).where(Notification.user_id == firm["bob"].id)
    ).all()
    assert [n.text for n in notes] == [
        f"Fiche L{entry.id:05d} « Hall d'entrée non nettoyé depuis lundi. » vous est attribuée."
    ]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "update", AuditEvent.entity_id == entry.id)
    ).first()
    assert event is not None and '"priority": ["high", "urgent"]' in event.details
    liaison.close_entry(session, entry.id, "Fait.", now=at(4))
    with pytest.raises(StateError, match="rouvrez-la pour la modifier"):
        liaison.update_entry(session, entry.id, data, now=at(5))
