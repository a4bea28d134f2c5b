"""The main window's navigation: groups of tabs, in display order.

A group is one tab of the top row; its screens are the second row (a group with a single
screen shows it directly). Each screen is (title, module, class name); titles are unique and
are what ``MainWindow.tab(title)`` and the user guide use. Modules are imported when their tab
is first shown, to keep start-up fast.
"""

from __future__ import annotations

from app.i18n import _

Screen = tuple[str, str, str]

GROUPS: list[tuple[str, list[Screen]]] = [
    (_("Accueil"), [(_("Accueil"), "ui.home", "HomeTab")]),
    (
        _("Relation client"),
        [
            (_("Clients"), "ui.clients", "ClientsTab"),
            (_("Chantiers"), "ui.sites", "SitesTab"),
            (_("Cahier de liaison"), "ui.liaison", "LiaisonTab"),
        ],
    ),
    (
        _("Commercial"),
        [
            (_("Devis"), "ui.quotes", "QuotesTab"),
            (_("Prévisionnel"), "ui.forecast", "ForecastTab"),
            (_("Articles"), "ui.articles", "ArticlesTab"),
        ],
    ),
    (
        _("Contrats"),
        [
            (_("Contrats"), "ui.contracts", "ContractsTab"),
            (_("Suivi des contrats"), "ui.followup", "FollowUpTab"),
            (_("Planning"), "ui.planning", "PlanningTab"),
        ],
    ),
    (
        _("Facturation"),
        [
            (_("Facturation"), "ui.billing", "BillingTab"),
            (_("Contrôle facturation"), "ui.control", "ControlTab"),
            (_("Éditions"), "ui.documents", "DocumentsTab"),
            (_("Facturation électronique"), "ui.einvoicing", "EInvoicingTab"),
        ],
    ),
    (
        _("Règlements"),
        [
            (_("Règlements"), "ui.payments", "PaymentsTab"),
            (_("Relances"), "ui.collections", "CollectionsTab"),
        ],
    ),
]

TABS: list[Screen] = [screen for _group, screens in GROUPS for screen in screens]


def place(title: str) -> tuple[int, int]:
    """(group index, index in the group) of the screen with this title; KeyError if none."""
    for g, (_group, screens) in enumerate(GROUPS):
        for i, (t, _m, _c) in enumerate(screens):
            if t == title:
                return g, i
    raise KeyError(title)
