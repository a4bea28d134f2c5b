"""Combos filled from app.choices and reloaded when the data they list changes (a change
signal on ctx.bus, never a restart): a client created in the Clients tab is offered at once
in Contrats, Facturation, Règlements…"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox

from app import choices
from ui.context import UiContext
from ui.forms import set_combo_value


class ChoiceSource(QObject):
    """Keeps ``combo`` filled with ``app.choices.<kind>`` (after the ``fixed`` entries, e.g.
    « — » or « Tous clients »); the selected value survives a reload. Owned by the combo:
    it stops listening when the combo goes."""

    def __init__(
        self,
        ctx: UiContext,
        combo: QComboBox | None,
        kind: str,
        *,
        fixed: Sequence[tuple[Any, str]] = (),
        on_reload: Callable[[list[Any]], None] | None = None,
        owner: QObject | None = None,
    ) -> None:
        super().__init__(combo if combo is not None else owner)
        self.ctx, self.combo, self.kind = ctx, combo, kind
        self.loader = getattr(choices, kind)
        self.topics = choices.TOPICS[kind]
        self.fixed = list(fixed)
        self.on_reload = on_reload
        self.rows: list[Any] = []
        ctx.bus.changed.connect(self._on_changed)
        self.reload()

    def _on_changed(self, topic: str) -> None:
        if not topic or topic in self.topics:
            self.reload()

    def reload(self) -> None:
        self.rows = self.ctx.query(self.loader)
        if self.combo is not None:
            self._fill(self.combo)
        if self.on_reload is not None:
            self.on_reload(self.rows)

    def _fill(self, combo: QComboBox) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for value, label in self.fixed:
            combo.addItem(label, value)
        for value, label, *_rest in self.rows:
            combo.addItem(label, value)
        if current is not None and combo.findData(current) < 0:
            self._add_inactive(combo, current)  # named, when the application knows it
        set_combo_value(combo, current)  # a value no longer offered stays, marked
        combo.blockSignals(False)

    def _add_inactive(self, combo: QComboBox, value: Any) -> None:
        label = self.ctx.query(choices.label_of, self.kind, value)
        if label is not None:
            combo.addItem(label, value)

    def ensure(self, value: Any) -> None:
        """Offer ``value`` even when it is no longer in the list (a deactivated client on a
        stored contract): a record opened and saved keeps what it names."""
        if self.combo is not None and value is not None and self.combo.findData(value) < 0:
            self._add_inactive(self.combo, value)


def bind(
    ctx: UiContext, combo: QComboBox, kind: str, *, fixed: Sequence[tuple[Any, str]] = ()
) -> ChoiceSource:
    """Fill ``combo`` with the ``kind`` list of app.choices and keep it current."""
    return ChoiceSource(ctx, combo, kind, fixed=fixed)


def follow(
    ctx: UiContext, owner: QObject, kind: str, on_reload: Callable[[list[Any]], None]
) -> ChoiceSource:
    """Call ``on_reload(rows)`` now and whenever the ``kind`` list changes (for widgets that
    hold several combos of it, e.g. the article of each contract line)."""
    return ChoiceSource(ctx, None, kind, on_reload=on_reload, owner=owner)
