"""Demo step: the liaison book over 2026 — syndics calling about their buildings,
quote requests, billing questions, staff and access issues. Most entries were handled
and closed with a resolution; the latest ones are still open, some past their alert
date (overdue on the demo's today, 1 September 2026)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo import DEMO_TODAY, DemoContext
from app.liaison import entries as liaison
from app.liaison.entries import IN_PROGRESS, WAITING, EntryInput
from models.liaison import LiaisonCategory
from models.users import Department

# category, department, kind, subject, text, first action, resolution
SCENARIOS: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "Réclamation",
        "Exploitation",
        "call",
        "Hall d'entrée mal nettoyé",
        "Le gestionnaire signale des traces au sol et des vitres de porte sales dans le hall.",
        "Chef d'équipe envoyé sur place pour constat.",
        "Passage de rattrapage effectué, photos envoyées au gestionnaire.",
    ),
    (
        "Clés / accès",
        "Exploitation",
        "call",
        "Badge Vigik refusé",
        "L'agent n'a pas pu entrer ce matin : le badge Vigik est refusé à la porte principale.",
        "Demande de reprogrammation du badge transmise au syndic.",
        "Badge reprogrammé par le syndic, accès rétabli.",
    ),
    (
        "Demande de devis",
        "Commercial",
        "email",
        "Devis remise en état après travaux",
        "Le client demande un devis pour un nettoyage de fin de chantier (peinture des cages "
        "d'escalier).",
        "Visite de métré programmée avec le client.",
        "Devis TC envoyé au client.",
    ),
    (
        "Question de facturation",
        "Comptabilité",
        "call",
        "Question sur la dernière facture",
        "Le client ne retrouve pas la prestation de vitrerie facturée le mois dernier.",
        "Relevé d'intervention transmis au client.",
        "Le client a retrouvé le bon d'intervention signé ; facture confirmée.",
    ),
    (
        "Personnel",
        "Exploitation",
        "call",
        "Agent absent ce matin",
        "Les résidents signalent que le ménage des paliers n'a pas été fait ce matin.",
        "Remplaçant envoyé l'après-midi.",
        "Prestation rattrapée le jour même, planning du remplaçant confirmé.",
    ),
    (
        "Incident sur site",
        "Exploitation",
        "visit",
        "Dégât des eaux au local poubelles",
        "Lors du passage, fuite constatée sous l'évier du local poubelles ; sol inondé.",
        "Syndic prévenu, zone balisée.",
        "Fuite réparée par le plombier du syndic, local nettoyé et désinfecté.",
    ),
    (
        "Information",
        "Commercial",
        "email",
        "Nouveau gestionnaire de copropriété",
        "Le cabinet nous informe du changement de gestionnaire à compter du mois prochain.",
        "Fiche contact mise à jour.",
        "Coordonnées du nouveau gestionnaire enregistrées.",
    ),
]

# Who handles each department's entries in the demo firm.
HANDLERS = {
    "Exploitation": "lucas",
    "Commercial": "karim",
    "Comptabilité": "sophie",
    "Direction": "admin",
}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def load(session: Session, ctx: DemoContext) -> None:
    liaison.ensure_default_categories(session)
    client_keys: dict[str, Any] = ctx.objects.get("client_keys", {})
    site_keys: dict[str, Any] = ctx.objects.get("site_keys", {})
    users: dict[str, Any] = ctx.objects.get("users", {})
    if not site_keys:
        return  # no master data: nothing to talk about
    rng = ctx.rng
    departments = {d.name: d.id for d in session.scalars(select(Department))}
    categories = {c.name: c.id for c in session.scalars(select(LiaisonCategory))}
    condo_keys = sorted(k for k in site_keys if k.startswith(("REGIE", "SYND")) and k[-1].isdigit())
    other_keys = sorted(k for k in site_keys if k not in condo_keys)
    saved_user = session.info.get("user_id")
    start = dt.date(2026, 1, 6)
    try:
        for i in range(30):
            category, dept, kind, subject, text, first, resolution = SCENARIOS[i % len(SCENARIOS)]
            received_day = start + dt.timedelta(days=i * 8 + rng.randrange(0, 3))
            if received_day >= DEMO_TODAY:
                received_day = DEMO_TODAY - dt.timedelta(days=30 - i)
            syndic_call = condo_keys and (
                (kind == "call" and i % 2 == 0) or category == "Information"
            )
            key = rng.choice(condo_keys if syndic_call or not other_keys else other_keys)
            site = site_keys[key]
            caller_client = client_keys.get(key)
            client_id = site.client_id
            caller = "Responsable des services généraux"
            if key.startswith(("REGIE", "SYND")):
                syndic = client_keys.get(key.rstrip("0123456789"))
                client_id = syndic.id if syndic is not None else client_id
                caller = "Gestionnaire de copropriété"
            elif caller_client is not None and caller_client.kind == "person":
                caller = caller_client.name
            handler = users.get(HANDLERS[dept])
            reception = users.get("sophie")
            session.info["user_id"] = reception.id if reception is not None else None
            received = _at(received_day, 8 + rng.randrange(0, 9), rng.choice([0, 15, 30, 45]))
            entry = liaison.create_entry(
                session,
                EntryInput(
                    kind=kind,
                    caller=caller,
                    client_id=client_id,
                    site_id=site.id,
                    department_id=departments.get(dept),
                    category_id=categories.get(category),
                    priority="high"
                    if category in ("Réclamation", "Incident sur site")
                    else "normal",
                    subject=subject,
                    text=text,
                    assignee_id=handler.id if handler is not None else None,
                    due_date=received_day + dt.timedelta(days=2 + rng.randrange(0, 6)),
                    received_at=received,
                ),
            )
            session.info["user_id"] = handler.id if handler is not None else None
            if i == 28:
                continue  # just logged, nobody has started on it yet
            step = received + dt.timedelta(hours=2 + rng.randrange(0, 5))
            liaison.change_status(session, entry.id, IN_PROGRESS, comment=first, now=step)
            if i >= 26:
                continue  # recent: still being handled
            if i in (18, 24):
                waiting = step + dt.timedelta(hours=20)
                liaison.change_status(
                    session, entry.id, WAITING, comment="Attente du retour du client.", now=waiting
                )
                continue
            done = received + dt.timedelta(hours=6 + rng.randrange(0, 120))
            liaison.close_entry(session, entry.id, resolution, now=max(done, step))
            if i == 14:  # the client called back: reopened, then closed again
                again = max(done, step) + dt.timedelta(days=3)
                liaison.reopen_entry(
                    session, entry.id, "Le client rappelle : pas satisfait.", now=again
                )
                liaison.close_entry(
                    session,
                    entry.id,
                    "Second passage avec le chef d'équipe, client satisfait.",
                    now=again + dt.timedelta(days=1),
                )
    finally:
        session.info["user_id"] = saved_user
    session.flush()
