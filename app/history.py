"""A client's history: everything that happened to it, newest first.

Built from the audit trail (every use case records its events with ``client_id``) plus
providers that other modules register for their own dated facts (documents sent, calls...)
when these are not already audit events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.money import format_amount
from models.audit import AuditEvent
from models.users import User

ACTION_LABELS: dict[str, str] = {
    "create": "Création",
    "update": "Modification",
    "deactivate": "Désactivation",
    "activate": "Réactivation",
    "delete": "Suppression",
    "photo": "Photo",
    "issue": "Émission",
    "send": "Envoi",
    "prenotification": "Pré-notification de prélèvement",
    "email": "Envoi par e-mail",
    "payment": "Règlement",
    "call": "Appel",
    # Contracts: their transitions are recorded under the status reached.
    "active": "Activation",
    "suspended": "Suspension",
    "terminated": "Résiliation",
    "ended": "Fin de contrat",
    "suspend": "Suspension",
    "suspension_update": "Correction de suspension",
    "suspension_cancel": "Annulation de suspension",
    "amendment": "Avenant",
    "amendment_cancel": "Annulation d'avenant",
    "renewal": "Reconduction",
    "revision": "Révision de prix",
    "revision_clause": "Clause de révision",
    "notice": "Avis de révision",
    "schedule": "Planification",
    "progress": "Avancement",
    # Quotes.
    "accept": "Acceptation",
    "refuse": "Refus",
    "expire": "Expiration",
    "remind": "Relance",
    "revise": "Nouvelle version",
    "duplicate": "Copie",
    "price": "Chiffrage",
    "sheets": "Fiches techniques",
    "down_payment": "Acompte",
    "invoice": "Facturation",
    # Payments, collections, SEPA.
    "undo": "Annulation",
    "cancel": "Annulation",
    "reject": "Rejet",
    "confirm": "Confirmation",
    "revoke": "Révocation",
    "collections": "Prélèvement",
    "dunning": "Relance",
    "run": "Lancement",
    "archive": "Archivage",
    "import": "Import",
    "value": "Valeur",
    "value_delete": "Suppression de valeur",
    # Liaison book (app.liaison.entries, app.liaison.files, app.liaison.convert).
    "assign": "Attribution",
    "status": "Changement de statut",
    "action": "Action",
    "close": "Clôture",
    "attachment": "Pièce jointe",
    "convert": "Conversion",
    "amendment_request": "Demande d'avenant",
    "mark": "Contrôle fait",
}

ENTITY_LABELS: dict[str, str] = {
    "client": "Client",
    "site": "Chantier",
    "contact": "Contact",
    "quote": "Devis",
    "quote_photo": "Photo du devis",
    "contract": "Contrat",
    "invoice": "Facture",
    "credit_note": "Avoir",
    "down_payment": "Facture d'acompte",
    "payment": "Règlement",
    "allocation": "Imputation",
    "cheque_remittance": "Remise de chèques",
    "sepa_mandate": "Mandat SEPA",
    "sepa_batch": "Lot de prélèvements",
    "sepa_batch_line": "Prélèvement",
    "reminder": "Relance",
    "planned_job": "Intervention planifiée",
    "billing_run": "Facturation du mois",
    "closing": "Clôture mensuelle signée",
    "liaison": "Cahier de liaison",
    "article": "Article",
    "article_family": "Famille d'articles",
    "account": "Compte comptable",
    "vat_rate": "Taux de TVA",
    "company": "Société",
    "user": "Utilisateur",
    "price_index": "Indice de prix",
    "qualification": "Qualification",
    "task_template": "Tâche type",
    "technical_sheet": "Fiche technique",
    "number_series": "Numérotation",
    "dunning_level": "Niveau de relance",
    "control_settings": "Contrôle de facturation",
    "control_mark": "Contrôle du mois",
    "smtp_settings": "Envoi des e-mails",
}

# An amount written « 68.04 € » by an older version, shown « 68,04 € » like the others.
_RAW_AMOUNT = re.compile(r"(-?\d+)\.(\d{2}) €")


def french_amounts(text: str) -> str:
    """Amounts of an older audit summary in the French format (« 1 500,00 € »)."""
    return _RAW_AMOUNT.sub(lambda m: format_amount(Decimal(f"{m[1]}.{m[2]}")), text)


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    entity: str  # French label of the kind of record
    action: str  # French label of what happened
    summary: str
    details: tuple[str, ...] = ()  # « field : old → new » lines


def format_changes(details: str) -> tuple[str, ...]:
    if not details:
        return ()
    try:
        data = json.loads(details)
    except ValueError:
        return (details,)
    return tuple(
        f"{field} : {_french(old) or '∅'} → {_french(new) or '∅'}"
        for field, (old, new) in data.items()
    )


_RAW_DECIMAL = re.compile(r"-?\d+\.\d+")


def _french(value: object) -> object:
    """A stored decimal (« 1500.00 ») with the French comma (« 1500,00 »)."""
    if isinstance(value, str) and _RAW_DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    return value


def client_history(session: Session, client_id: int, *, limit: int = 500) -> list[HistoryEntry]:
    users = dict(session.execute(select(User.id, User.full_name)).all())
    entries = [
        HistoryEntry(
            at=e.at,
            user=users.get(e.user_id, "") if e.user_id else "",
            entity=ENTITY_LABELS.get(e.entity_type, e.entity_type),
            action=ACTION_LABELS.get(e.action, e.action),
            summary=french_amounts(e.summary),
            details=format_changes(e.details),
        )
        for e in session.scalars(
            select(AuditEvent)
            .where(AuditEvent.client_id == client_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    ]
    return entries
