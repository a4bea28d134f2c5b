"""The main window's tabs, in display order: (title, module, class name).

Modules are imported when their tab is first shown, to keep start-up fast.
"""

from __future__ import annotations

TABS: list[tuple[str, str, str]] = [
    ("Accueil", "ui.home", "HomeTab"),
    ("Clients", "ui.clients", "ClientsTab"),
    ("Chantiers", "ui.sites", "SitesTab"),
    ("Articles", "ui.articles", "ArticlesTab"),
    ("Contrats", "ui.contracts", "ContractsTab"),
    ("Facturation", "ui.billing", "BillingTab"),
    ("Contrôle facturation", "ui.control", "ControlTab"),
    ("Devis", "ui.quotes", "QuotesTab"),
    ("Planning", "ui.planning", "PlanningTab"),
    ("Cahier de liaison", "ui.liaison", "LiaisonTab"),
    ("Éditions", "ui.documents", "DocumentsTab"),
    ("Règlements", "ui.payments", "PaymentsTab"),
    ("Relances", "ui.collections", "CollectionsTab"),
    ("Suivi des contrats", "ui.followup", "FollowUpTab"),
    ("Prévisionnel", "ui.forecast", "ForecastTab"),
]
