"""Open the screen that deals with a record, from anywhere (the home dashboard, the global
search): the right tab, on the right record. Tabs are found by title (``window.tab``)."""

from __future__ import annotations

from typing import Any

from app.i18n import _


def open_record(window: Any, kind: str, key: int | str) -> Any:
    """Show ``kind`` (client, site, contract, quote, invoice, liaison, billing, control, sepa)
    ``key`` (its id, or a period « AAAA-MM »); returns the tab or window shown."""
    if kind == "client":
        tab = window.tab(_("Clients"))
        tab.open_client(key)
        return tab
    if kind == "site":
        tab = window.tab(_("Chantiers"))
        tab.open_site(key)
        return tab
    if kind == "contract":
        tab = window.tab(_("Contrats"))
        tab.open_contract(key)
        return tab
    if kind == "quote":
        return window.tab(_("Devis")).open_quote(key)
    if kind == "invoice":
        viewer = window.tab(_("Facturation")).open_invoice(key, modal=False)
        viewer.show()
        return viewer
    if kind == "liaison":
        tab = window.tab(_("Cahier de liaison"))
        tab.show_overdue()
        tab.entries.select(key)
        return tab
    if kind == "billing":
        tab = window.tab(_("Facturation"))
        tab.set_period(key)
        return tab
    if kind == "control":
        tab = window.tab(_("Contrôle facturation"))
        tab.panel.set_period(key)
        return tab
    if kind == "sepa":
        dialog = window.tab(_("Règlements")).open_sepa()
        if key:
            dialog.select_batch(key)
        return dialog
    raise ValueError(kind)
