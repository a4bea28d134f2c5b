"""Screenshots of the user guide, taken from the real main window on a fresh demo database.

    QT_QPA_PLATFORM=offscreen python -m ui.screenshots [--out docs/guide/images] [--db demo.db]
                                                       [--screen "Onglet[:attribut]"]

Every documented screen names its tab (title in ui/tabs.py) and the widgets the guide talks about
(attribute paths on the tab, e.g. ``editor.form``). When one of them no longer exists the script
stops with a non-zero exit code, so the guide cannot silently drift from the software.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from ui.tabs import TABS

OUT = Path(__file__).resolve().parent.parent / "docs" / "guide" / "images"
WIDTH = 1000  # pixels of the saved PNG: readable in the PDF, small on disk
# The window is shot at a laptop screen's size: what the guide shows is what a user sees
# there, cut text included (tests/test_ui_navigation.py checks 1366×728, less a task bar).
WINDOW = (1366, 768)


class ScreenMissing(Exception):
    """A screen documented by the guide no longer exists in the application."""


@dataclass(frozen=True)
class Screen:
    """One screenshot: a tab, the widgets it must show, what to select before the shot."""

    name: str  # file name (without .png) used by docs/guide/*.md
    tab: str  # title of the main-window tab
    require: tuple[str, ...] = ()  # attribute paths that must exist on the tab
    select: str = ""  # a RecordList whose first row is selected
    page: tuple[str, int] | None = None  # a QTabWidget on the tab and the page to show
    dialog: str = ""  # a key of DIALOGS: the shot is that dialog, opened from the tab


SCREENS: tuple[Screen, ...] = (
    Screen("accueil", "Accueil", ("label", "todo", "turnover.chart_view")),
    Screen("clients", "Clients", ("list", "editor.form", "editor.save_button"), select="list"),
    Screen("chantiers", "Chantiers", ("list", "form", "photos"), select="list"),
    Screen("articles", "Articles", ("editor",)),
    Screen("devis", "Devis", ("list", "summary"), select="list"),
    Screen("planning", "Planning", ("grid", "list")),
    Screen("previsionnel", "Prévisionnel", ("pipeline", "table", "chart_view")),
    Screen("contrats", "Contrats", ("list", "form", "tabs"), select="list"),
    Screen("contrats-lignes", "Contrats", ("lines",), select="list", page=("tabs", 1)),
    Screen("contrats-echeancier", "Contrats", ("plan",), select="list", page=("tabs", 2)),
    Screen("contrats-avenants", "Contrats", ("tabs",), select="list", page=("tabs", 3)),
    Screen("contrats-historique", "Contrats", ("history",), select="list", page=("tabs", 5)),
    Screen("suivi-revisions", "Suivi des contrats", ("revision_list",), page=("pages", 0)),
    Screen("suivi-projection", "Suivi des contrats", ("projection_list",), page=("pages", 3)),
    Screen(
        "facturation",
        "Facturation",
        ("month", "control_button", "run_button", "issue_all_button", "drafts"),
    ),
    Screen(
        "controle",
        "Contrôle facturation",
        ("panel.month", "panel.threshold", "panel.families", "panel.anomalies"),
    ),
    Screen("editions", "Éditions", ("period", "list"), select="list"),
    Screen("reglements", "Règlements", ("list", "new_button", "receipt_button"), select="list"),
    Screen("relances", "Relances", ("aged", "proposals")),
    Screen(
        "cahier-de-liaison",
        "Cahier de liaison",
        ("entries.list", "entries.panel.actions", "entries.panel.add_action_button"),
        select="entries.list",
        page=("pages", 0),
    ),
    Screen("liaison-tableau", "Cahier de liaison", ("dashboard",), page=("pages", 1)),
    Screen("liaison-services", "Cahier de liaison", ("settings",), page=("pages", 3)),
    Screen("reglement-saisie", "Règlements", ("new_button",), dialog="payment"),
    Screen("parametres-email", "Éditions", ("list",), dialog="email-settings"),
    Screen("liaison-saisie-rapide", "Cahier de liaison", (), dialog="liaison-quick"),
    Screen("import-colonnes", "Accueil", (), dialog="import"),
)


# --- dialogs ---------------------------------------------------------------------------------
# Each opens a real dialog from its tab, filled the way the guide describes it, and returns it
# shown (not executed). An attribute that no longer exists raises ScreenMissing.


def _payment_dialog(window: Any, tab: Any) -> QWidget:
    """« Nouveau règlement… » on the first client with open invoices, amount = its oldest
    open invoice, allocation proposed oldest first."""
    from app.payments import queries

    dialog = resolve(tab, "new_payment")()
    combo = resolve(dialog, "form").widget("client_id")
    for i in range(combo.count()):
        client_id = combo.itemData(i)
        if client_id and tab.ctx.query(queries.open_invoices, client_id):
            dialog.set_client(client_id)
            break
    if dialog.items:
        amount = f"{dialog.items[0].open_amount:f}".replace(".", ",")
        dialog.form.set_value("amount", amount)
        resolve(dialog, "suggest")()
    return dialog


def _email_settings_dialog(window: Any, tab: Any) -> QWidget:
    """Éditions → « Paramètres e-mail… »."""
    from ui.documents import EmailSettingsDialog

    dialog = EmailSettingsDialog(tab.ctx, tab)
    dialog.show()
    return dialog


def _liaison_quick_dialog(window: Any, tab: Any) -> QWidget:
    """Ctrl+L: a call from a client about one of its sites, routed with an alert date."""
    from ui.liaison_quick import open_quick_entry

    dialog = open_quick_entry(tab.ctx, window)
    client = dialog.combo("client_id")
    if client.count() > 1:
        client.setCurrentIndex(1)
    site = dialog.combo("site_id")
    if site.count() > 1:
        site.setCurrentIndex(1)
    for name, text in (
        ("caller", "Mme Martin, gestionnaire"),
        ("text", "Poubelles du local non sorties mardi matin : passage à prévoir."),
    ):
        dialog.form.set_value(name, text)
    dialog.form.set_value("with_alert", True)
    return dialog


def _import_dialog(window: Any, tab: Any) -> QWidget:
    """The import assistant on its « Quelle colonne contient quoi ? » page, with the clients
    template (Fichier › Importer depuis un autre logiciel…)."""
    from app.imports.templates import template_path
    from ui.import_wizard import open_import_wizard

    wizard = open_import_wizard(tab.ctx, window)
    wizard.file_page.path.setText(str(template_path("clients")))
    wizard.next()
    return wizard


DIALOGS = {
    "import": _import_dialog,
    "payment": _payment_dialog,
    "email-settings": _email_settings_dialog,
    "liaison-quick": _liaison_quick_dialog,
}


def open_dialog(window: Any, tab: Any, screen: Screen) -> QWidget:
    """The screen's dialog, shown; ScreenMissing when it cannot be opened any more."""
    factory = DIALOGS.get(screen.dialog)
    if factory is None:
        raise ScreenMissing(f"Dialogue « {screen.dialog} » inconnu (écran {screen.name})")
    try:
        dialog = factory(window, tab)
    except (AttributeError, ImportError, KeyError) as exc:
        raise ScreenMissing(f"Dialogue « {screen.dialog} » : {exc}") from exc
    for _ in range(3):
        QApplication.processEvents()
    return dialog


def resolve(root: Any, path: str) -> Any:
    """Follow ``a.b.c`` from ``root``; ScreenMissing names the part that is gone."""
    obj = root
    for part in path.split("."):
        if not hasattr(obj, part):
            raise ScreenMissing(f"{type(root).__name__} : « {path} » introuvable (à « {part} »)")
        obj = getattr(obj, part)
    return obj


def show(window: Any, screen: Screen) -> QWidget:
    """Bring the screen up in the window (tab, selection, page); raise ScreenMissing if gone."""
    if screen.tab not in [t for t, _m, _c in TABS]:
        raise ScreenMissing(f"Onglet « {screen.tab} » introuvable (écran {screen.name})")
    tab = window.tab(screen.tab)
    for path in screen.require:
        resolve(tab, path)
    if screen.select:
        records = resolve(tab, screen.select)
        if records.proxy.rowCount():
            records.view.selectRow(0)
    if screen.page:
        pages = resolve(tab, screen.page[0])
        if not isinstance(pages, QTabWidget) or screen.page[1] >= pages.count():
            raise ScreenMissing(f"Page {screen.page[1]} de « {screen.page[0]} » introuvable")
        pages.setCurrentIndex(screen.page[1])
    QApplication.processEvents()
    return tab


def capture(window: Any, screens: Sequence[Screen], out: Path, width: int = WIDTH) -> list[Path]:
    """Save one PNG per screen (whole window, scaled to ``width`` pixels; 0: as shown)."""
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    for screen in screens:
        tab = show(window, screen)
        for _ in range(3):
            QApplication.processEvents()
        if screen.dialog:
            dialog = open_dialog(window, tab, screen)
            image = dialog.grab()  # a dialog at its own size: never enlarged
            if width and image.width() > width:
                image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
            dialog.close()
            QApplication.processEvents()
        else:
            image = window.grab()
            if width:
                image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
        path = out / f"{screen.name}.png"
        if not image.save(str(path), "PNG", 9):
            raise OSError(f"Impossible d'écrire {path}")
        saved.append(path)
    return saved


def parse_screen(text: str) -> Screen:
    """``Onglet[:attribut,attribut]`` → an ad-hoc Screen (for checks from the command line)."""
    tab, _sep, attrs = text.partition(":")
    name = "extra-" + "".join(c if c.isalnum() else "-" for c in tab.lower())
    return Screen(name, tab, tuple(a for a in attrs.split(",") if a))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Captures d'écran du guide d'utilisation.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--db", help="base de démonstration existante (fichier copié, ou URL utilisée telle quelle)"
    )
    parser.add_argument("--screen", action="append", default=[], help="écran supplémentaire")
    parser.add_argument("--only", action="append", default=[], help="ne capturer que ces écrans")
    parser.add_argument(
        "--size",
        default=f"{WINDOW[0]}x{WINDOW[1]}",
        help="taille de la fenêtre, LARGEURxHAUTEUR (défaut : un portable 1366×768)",
    )
    parser.add_argument(
        "--width", type=int, default=WIDTH, help="largeur des PNG (0 : taille réelle)"
    )
    args = parser.parse_args(argv)
    size = tuple(int(n) for n in args.size.lower().split("x"))
    screens = [s for s in SCREENS if not args.only or s.name in args.only]
    screens += [parse_screen(s) for s in args.screen]

    import shutil

    from PySide6.QtCore import QCoreApplication

    from app import startup
    from app.db import open_database
    from app.demo import DEMO_TODAY
    from app.setup import prepare_database
    from ui.main_window import MainWindow

    startup.install()  # as every entry point does: the client account's sources, the guards
    QCoreApplication.setOrganizationName("PropreoScreenshots")  # leave the user's settings alone
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.app import _install_qt_french

    _install_qt_french(app)  # Qt's own buttons (Enregistrer, Annuler…) as users see them
    from app import clock

    # The guide shows the demo on its « today » (1 September 2026), whatever the machine's date.
    with tempfile.TemporaryDirectory() as tmp, clock.pinned(DEMO_TODAY):
        target: str | Path = Path(tmp) / "demo.db"
        if args.db and "://" in args.db:
            target = args.db  # a server base (PostgreSQL): no file to copy
        elif args.db:
            shutil.copyfile(args.db, target)
        else:
            prepare_database(target, demo=True, as_of=DEMO_TODAY).db.dispose()
        db = open_database(target)
        window = MainWindow(db)
        window.resize(*size)
        window.show()
        try:
            saved = capture(window, screens, args.out, args.width)
        except ScreenMissing as exc:
            print(f"Écran introuvable : {exc}", file=sys.stderr)
            return 2
        finally:
            window.close()
            db.dispose()
            app.processEvents()
    print(f"{len(saved)} captures dans {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
