"""Home tab: the firm, the database, and what needs attention today."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.company import get_company
from app.errors import NotFoundError
from ui.context import Tab, UiContext


class HomeTab(Tab):
    title = "Accueil"
    help_chapter = "accueil"

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        def load(session):  # type: ignore[no-untyped-def]
            try:
                c = get_company(session)
            except NotFoundError as exc:
                return str(exc)
            return (
                f"<h2>{_esc(c.name)}</h2><p>{_esc(c.street)}<br>{_esc(c.postcode)} {_esc(c.city)}</p>"
                f"<p>SIREN {_esc(c.siren)} — TVA {_esc(c.vat_number)}</p>"
            )

        self.label.setText(self.ctx.query(load))


def _esc(text: str) -> str:
    from html import escape

    return escape(text or "")
