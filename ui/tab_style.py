"""Tabs whose accented capitals keep their accent.

Qt's Fusion style draws an unselected tab two pixels lower and clips its label to the tab, so
the accent of « É » (Éditions, Échéances…) is cut off. Not shifting the label keeps it whole;
the selected tab stays marked by its raised shape and colour.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget


class TabStyle(QProxyStyle):
    def pixelMetric(
        self,
        metric: QStyle.PixelMetric,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
    ) -> int:
        if metric == QStyle.PixelMetric.PM_TabBarTabShiftVertical:
            return 0
        return super().pixelMetric(metric, option, widget)


def install_tab_style() -> None:
    """Wrap the application's style once (every tab bar of every screen benefits)."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and not isinstance(app.style(), TabStyle):
        app.setStyle(TabStyle(app.style().name()))
