"""The one month picker of every screen: « ◀ décembre 2026 ▶ ».

A month is read and set as « AAAA-MM » (the form the use cases take). The arrows step one month;
the field takes the keyboard (month name or number, year) and opens a calendar whose chosen day
stands for its month. With ``optional`` the first position reads « Tous les mois » and
``period()`` is then "" (a list filter that is not set).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QToolButton, QWidget

from app import clock
from app.i18n import _

FIRST = QDate(2000, 1, 1)  # before any firm's first invoice; the « Tous les mois » slot


def month_of(day: dt.date | QDate) -> str:
    """« AAAA-MM » of a date."""
    if isinstance(day, QDate):
        return f"{day.year():04d}-{day.month():02d}"
    return f"{day.year:04d}-{day.month:02d}"


class MonthPicker(QWidget):
    changed = Signal(str)  # the new period « AAAA-MM » ("" for « Tous les mois »)

    def __init__(
        self, parent: QWidget | None = None, *, period: str = "", optional: bool = False
    ) -> None:
        super().__init__(parent)
        self.optional = optional
        self.edit = QDateEdit(self)
        self.edit.setLocale(QLocale(QLocale.Language.French, QLocale.Country.France))
        self.edit.setDisplayFormat("MMMM yyyy")
        self.edit.setCalendarPopup(True)
        self.edit.setMinimumDate(FIRST.addMonths(-1) if optional else FIRST)
        if optional:
            self.edit.setSpecialValueText(_("Tous les mois"))
        self.previous = QToolButton(self)
        self.previous.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous.setToolTip(_("Mois précédent"))
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next = QToolButton(self)
        self.next.setArrowType(Qt.ArrowType.RightArrow)
        self.next.setToolTip(_("Mois suivant"))
        self.next.clicked.connect(lambda: self.step(1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.previous)
        layout.addWidget(self.edit)
        layout.addWidget(self.next)
        self.set_period(period if period or optional else month_of(clock.today()))
        self._last = self.period()
        self.edit.dateChanged.connect(self._on_date)

    def period(self) -> str:
        """« AAAA-MM », or "" when « Tous les mois » is shown."""
        day = self.edit.date()
        if self.optional and day == self.edit.minimumDate():
            return ""
        return month_of(day)

    def first_day(self) -> dt.date | None:
        """The first day of the month shown (None for « Tous les mois »)."""
        period = self.period()
        return dt.date(int(period[:4]), int(period[5:7]), 1) if period else None

    def set_period(self, period: str) -> None:
        """Show the month « AAAA-MM » ("" → « Tous les mois » when optional)."""
        minimum = self.edit.minimumDate()
        self.edit.setDate(QDate(int(period[:4]), int(period[5:7]), 1) if period else minimum)

    def step(self, months: int) -> None:
        day = self.edit.date()
        if self.optional and day == self.edit.minimumDate():
            day = QDate(clock.today().year, clock.today().month, 1).addMonths(-months)
        self.edit.setDate(QDate(day.year(), day.month(), 1).addMonths(months))

    def _on_date(self, day: QDate) -> None:
        if day.day() != 1 and day != self.edit.minimumDate():
            self.edit.setDate(QDate(day.year(), day.month(), 1))  # a calendar day: its month
            return
        period = self.period()
        if period != self._last:
            self._last = period
            self.changed.emit(period)
