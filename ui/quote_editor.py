"""Quote editor: header and lines, live cost builder, photos before/after, technical sheets."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import site_photos
from app.errors import PropreoError, ValidationError
from app.i18n import _
from app.money import format_amount
from app.quotes import builder, photos, pricing, sheets, views
from app.quotes import quotes as uc
from models.quotes import PhotoTag, QuoteKind, QuoteStatus
from ui.context import UiContext
from ui.forms import Field, FormWidget
from ui.operations import show_error
from ui.photo_viewer import PhotoViewer
from ui.quote_builder import BuilderPanel, decimal_text
from ui.quote_lines import QuoteLinesTable


def _fields(clients: list[tuple[int, str]]) -> list[Field]:
    return [
        Field("kind", _("Type"), "choice", list(QuoteKind.LABELS.items())),
        # No client chosen until the user picks one: saving a blank form is refused.
        Field("client_id", _("Client"), "choice", [(None, _("— choisir le client —")), *clients]),
        Field("site_id", _("Chantier"), "choice", [], tooltip=_("Lieu d'intervention")),
        Field("title", _("Objet"), placeholder=_("Nature des travaux")),
        Field("quote_date", _("Date du devis"), "date"),
        Field("validity_date", _("Validité"), "date", tooltip=_("Date limite d'acceptation")),
        Field("frequency", _("Fréquence"), placeholder=_("ex. 3 passages par semaine")),
        Field(
            "cadence",
            _("Cadence / horaires"),
            placeholder=_("ex. lundi, mercredi, vendredi 6 h–8 h"),
        ),
        Field("duration_hours", _("Durée (h)"), tooltip=_("Durée d'intervention en heures")),
        Field("contract_months", _("Durée du contrat (mois)"), "int", maximum=120),
        Field(
            "probability",
            _("Probabilité (%)"),
            tooltip=_("Chance de signature, pondère le pipe commercial"),
        ),
        Field("conditions", _("Conditions"), "multiline"),
        Field("free_of_charge", _("Devis gratuit"), "bool"),
        Field("include_photos", _("Photos dans le PDF"), "bool"),
    ]


class PhotoList(QListWidget):
    """Thumbnails; image files dropped here are attached to the quote."""

    files_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(160, 120))
        self.setAcceptDrops(True)
        self.setDragDropMode(QListWidget.DragDropMode.DropOnly)
        self.setToolTip(_("Déposez ici des photos JPEG, PNG ou WebP ; double-clic pour agrandir"))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)


class SheetDialog(QDialog):
    """Title, kind (product or equipment) and norms of a technical sheet being added."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Fiche technique"))
        self.title = QLineEdit(title, self)
        self.kind = QComboBox(self)
        for value, label in sheets.KINDS.items():
            self.kind.addItem(label, value)
        self.kind.setToolTip(_("Fiche du produit employé ou du matériel proposé"))
        self.norms = QLineEdit(self)
        self.norms.setPlaceholderText(_("ex. EN 1276, Ecolabel, CLP"))
        self.norms.setToolTip(_("Normes et labels cités par la fiche"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(_("Titre"), self.title)
        form.addRow(_("Type"), self.kind)
        form.addRow(_("Normes"), self.norms)
        form.addRow(buttons)


class QuoteEditor(QDialog):
    saved = Signal(int)
    reminder_letter_requested = Signal(int)  # the list prints and records the letter

    def __init__(self, ctx: UiContext, quote_id: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.quote_id = quote_id
        self.status = QuoteStatus.DRAFT
        self.loaded = uc.QuoteForm()  # what was opened: fields the form does not show survive
        self.setWindowTitle(_("Devis"))
        self.resize(1120, 700)
        self.form = FormWidget(_fields(ctx.query(views.client_choices)), self)
        self.form.widget("client_id").currentIndexChanged.connect(self._load_sites)
        self.form.widget("site_id").currentIndexChanged.connect(lambda _i: self.reload_builder())
        self.form.widget("kind").currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.form.widget("quote_date").dateChanged.connect(lambda _d: self.reload_builder())
        self.lines = QuoteLinesTable(ctx, self)
        self.lines.changed.connect(self.update_totals)
        add_line = self.add_button = QPushButton(_("Ajouter une ligne"), self)
        add_line.clicked.connect(lambda: self.add_line())
        del_line = self.delete_line_button = QPushButton(_("Supprimer la ligne"), self)
        del_line.clicked.connect(self.lines.remove_current)
        self.totals = QLabel(self)

        general = QWidget(self)
        g = QVBoxLayout(general)
        g.addWidget(self.form)
        row = QHBoxLayout()
        row.addWidget(add_line)
        row.addWidget(del_line)
        row.addStretch(1)
        row.addWidget(self.totals)
        g.addWidget(QLabel(_("Lignes du devis"), self))
        g.addWidget(self.lines, 1)
        g.addLayout(row)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(general, _("Devis"))
        self.builder = BuilderPanel(ctx, self)
        self.builder.apply_requested.connect(self.apply_builder)
        self.tabs.addTab(self.builder, _("Chiffrage"))
        self.tabs.addTab(self._photos_page(), _("Photos"))
        self.tabs.addTab(self._sheets_page(), _("Fiches techniques"))
        self.save_button = QPushButton(_("Enregistrer"), self)
        self.save_button.clicked.connect(self.save)
        close = QPushButton(_("Fermer"), self)
        close.clicked.connect(self.close)
        self.letter_button = QPushButton(_("Lettre de relance…"), self)
        self.letter_button.setToolTip(
            _("Courrier « Relance de devis » à imprimer (PDF ou Word), noté dans l'historique")
        )
        self.letter_button.clicked.connect(
            lambda: self.reminder_letter_requested.emit(self.quote_id)
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.letter_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addLayout(buttons)
        self.load()

    # --- builder --------------------------------------------------------------------------

    def _kind_changed(self) -> None:
        self.lines.show_frequency(self.form.value("kind") == QuoteKind.CONTRACT)
        self.reload_builder()

    def reload_builder(self) -> None:
        """The site's cadencier and the cost grid at the quote date, for a draft."""
        if self.status == QuoteStatus.DRAFT:
            self.builder.set_site(
                self.form.value("site_id"), self.form.value("quote_date"), self.form.value("kind")
            )

    def apply_builder(self) -> bool:
        if not self.save():
            return False
        try:
            data = self.builder.builder_input()
            self.ctx.call(pricing.apply_builder, self.quote_id, data, topic="quotes")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        self.load()
        return True

    # --- photos and sheets ----------------------------------------------------------------

    def _photos_page(self) -> QWidget:
        page = QWidget(self)
        self.photo_list = PhotoList(page)
        self.photo_list.files_dropped.connect(lambda paths: self.add_photos(paths))
        self.photo_list.currentItemChanged.connect(self._show_photo)
        self.photo_list.itemDoubleClicked.connect(
            lambda item: self.open_viewer(self.photo_list.row(item))
        )
        self.viewer: PhotoViewer | None = None
        self.new_tag = QComboBox(page)
        for value, label in PhotoTag.LABELS.items():
            self.new_tag.addItem(label, value)
        add = QPushButton(_("Ajouter des photos…"), page)
        add.clicked.connect(self._choose_photos)
        self.photo_tag = QComboBox(page)
        for value, label in PhotoTag.LABELS.items():
            self.photo_tag.addItem(label, value)
        self.photo_caption = QLineEdit(page)
        self.photo_caption.setPlaceholderText(_("Légende"))
        update = QPushButton(_("Mettre à jour"), page)
        update.clicked.connect(self.update_current_photo)
        remove = QPushButton(_("Retirer"), page)
        remove.clicked.connect(self._remove_photo)
        self.photo_buttons = QWidget(page)
        top = QHBoxLayout(self.photo_buttons)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel(_("Nouvelles photos :"), page))
        top.addWidget(self.new_tag)
        top.addWidget(add)
        top.addStretch(1)
        edit = QHBoxLayout()
        edit.addWidget(self.photo_tag)
        edit.addWidget(self.photo_caption, 1)
        edit.addWidget(update)
        edit.addWidget(remove)
        layout = QVBoxLayout(page)
        layout.addWidget(self.photo_buttons)
        layout.addWidget(self.photo_list, 1)
        layout.addLayout(edit)
        return page

    def _choose_photos(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Photos"), "", _("Images (*.jpg *.jpeg *.png *.webp *.heic)")
        )
        if paths:
            self.add_photos(paths)

    def add_photos(self, paths: list[str], tag: str | None = None, caption: str = "") -> int:
        """Attach image files (dialog or drop); refused files are reported, others kept."""
        if not self.save():
            return 0
        tag = tag or self.new_tag.currentData()
        added, errors = 0, []
        for path in paths:
            try:
                data = Path(path).read_bytes()
                self.ctx.call(
                    photos.add_photo,
                    data,
                    Path(path).name,
                    quote_id=self.quote_id,
                    tag=tag,
                    caption=caption,
                    topic="quotes",
                )
                added += 1
            except (PropreoError, OSError) as exc:
                errors.append(str(exc))
        self.load()
        if errors:
            show_error(self, ValidationError(_("Photo"), "\n".join(errors)))
        return added

    def _show_photo(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        row: views.PhotoRow = item.data(Qt.ItemDataRole.UserRole)
        self.photo_tag.setCurrentIndex(self.photo_tag.findData(row.tag))
        self.photo_caption.setText(row.caption)

    def open_viewer(self, index: int) -> PhotoViewer | None:
        """The quote's photos large, from the one double-clicked (previous / next)."""
        if self.quote_id is None:
            return None
        rows = self.ctx.query(site_photos.quote_photos, self.quote_id)
        if not 0 <= index < len(rows):
            return None
        self.viewer = PhotoViewer(rows, index, self)
        self.viewer.show()
        return self.viewer

    def update_current_photo(self) -> None:
        item = self.photo_list.currentItem()
        if item is None:
            return
        row: views.PhotoRow = item.data(Qt.ItemDataRole.UserRole)
        try:
            self.ctx.call(
                photos.update_photo,
                row.id,
                tag=self.photo_tag.currentData(),
                caption=self.photo_caption.text(),
                include_in_pdf=row.include_in_pdf,
                topic="quotes",
            )
        except PropreoError as exc:
            show_error(self, exc)
        self.load()

    def _remove_photo(self) -> None:
        item = self.photo_list.currentItem()
        if item is None:
            return
        answer = QMessageBox.question(
            self,
            _("Retirer la photo"),
            _("Retirer la photo « {name} » de ce devis ?").format(name=item.text()),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.ctx.call(photos.remove_photo, item.data(Qt.ItemDataRole.UserRole).id)
        except PropreoError as exc:
            show_error(self, exc)
        self.load()

    def _sheets_page(self) -> QWidget:
        page = self.sheet_page = QWidget(self)
        self.sheet_list = QListWidget(page)
        self.sheet_list.setToolTip(_("Cochez les fiches à joindre en annexe du PDF"))
        add = QPushButton(_("Ajouter une fiche technique (PDF)…"), page)
        add.clicked.connect(self._choose_sheet)
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(_("Fiches jointes en annexe du devis"), page))
        layout.addWidget(self.sheet_list, 1)
        layout.addWidget(add)
        return page

    def _choose_sheet(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Fiche technique"), "", "PDF (*.pdf)")
        if not path:
            return
        dialog = SheetDialog(Path(path).stem, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_sheet(
                path, dialog.title.text(), dialog.kind.currentData(), dialog.norms.text()
            )

    def add_sheet(self, path: str, title: str, kind: str = "product", norms: str = "") -> bool:
        try:
            sheet = self.ctx.call(
                sheets.add_sheet,
                Path(path).read_bytes(),
                Path(path).name,
                title=title,
                kind=kind,
                norms=norms,
                topic="quotes",
            )
        except (PropreoError, OSError) as exc:
            show_error(self, exc)
            return False
        self._fill_sheets(set(self.checked_sheets()) | {sheet.id})
        return True

    def _fill_sheets(self, checked: set[int]) -> None:
        self.sheet_list.clear()
        for row in self.ctx.query(views.sheet_rows):
            kind = sheets.KINDS.get(row.kind, "")
            item = QListWidgetItem(
                _("{title} ({kind}, {pages} p.)").format(
                    title=row.title, kind=kind, pages=row.pages
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if row.id in checked else Qt.CheckState.Unchecked
            )
            self.sheet_list.addItem(item)

    def checked_sheets(self) -> list[int]:
        return [
            self.sheet_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.sheet_list.count())
            if self.sheet_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    # --- load / save ----------------------------------------------------------------------

    def _load_sites(self) -> None:
        combo: QComboBox = self.form.widget("site_id")  # type: ignore[assignment]
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(_("(aucun)"), None)
        for value, label in self.ctx.query(views.site_choices, self.form.value("client_id")):
            combo.addItem(label, value)
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)
        self.reload_builder()

    def add_line(
        self,
        label: str = "",
        quantity: str = "1",
        unit: str = "forfait",
        price: str = "0",
        vat: str = uc.DEFAULT_VAT,
        kind: str = "service",
        description: str = "",
        **more: Any,
    ) -> int:
        """A new row (``more``: article_id, discount, billing_frequency)."""
        line = uc.LineForm(label, quantity, unit, price, vat, kind=kind, description=description)
        return self.lines.add_line(dataclasses.replace(line, **more))

    def load(self) -> None:
        self._fill_sheets(set())
        if self.quote_id is None:
            form = uc.QuoteForm(quote_date=dt.date.today())
            form.validity_date = form.quote_date + dt.timedelta(days=uc.DEFAULT_VALIDITY_DAYS)
            self.loaded = form
            self._set_form(form)
            self.photo_list.clear()
            self.letter_button.setVisible(False)
            return
        detail: views.QuoteDetail = self.ctx.query(views.quote_detail, self.quote_id)
        self.status = detail.status
        self.setWindowTitle(_("Devis {ref}").format(ref=detail.reference))
        self.loaded = detail.form
        self._set_form(detail.form)
        self.lines.set_lines(detail.form.lines)
        self.photo_list.clear()
        for p in detail.photos:
            item = QListWidgetItem(QIcon(QPixmap(p.thumb_path)), f"{p.tag_label} — {p.caption}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.photo_list.addItem(item)
        self._fill_sheets(set(detail.sheet_ids))
        editable = detail.status == QuoteStatus.DRAFT
        self.letter_button.setVisible(detail.status == QuoteStatus.SENT)
        for w in (
            self.save_button,
            self.form,
            self.add_button,
            self.delete_line_button,
            self.photo_buttons,
            self.sheet_page,
        ):
            w.setEnabled(editable)
        self.lines.set_read_only(not editable)
        self.builder.set_editable(editable)
        snap = builder.input_from_snapshot(detail.builder_snapshot)
        if editable:
            self.reload_builder()  # today's cadencier and cost grid at the quote date
            if snap is not None:
                self.builder.set_parameters(snap)
        elif snap is not None:
            self.builder.show_snapshot(snap)  # what the sent quote was priced with

    def _set_form(self, form: uc.QuoteForm) -> None:
        for name in ("kind", "client_id"):
            self.form.set_value(name, getattr(form, name))
        self._load_sites()
        self.form.load(form)
        for name in ("duration_hours", "probability"):
            value = getattr(form, name)
            self.form.set_value(name, decimal_text(value) if value not in (None, "") else "")
        self.form.set_value("contract_months", form.contract_months or 0)
        self.lines.show_frequency(form.kind == QuoteKind.CONTRACT)
        self.update_totals()

    def dump(self) -> uc.QuoteForm:
        """The opened quote with what the form and the grid show replaced (start date and
        other fields the editor does not display are kept as they were)."""
        form = dataclasses.replace(self.loaded, lines=self.lines.lines())
        for f in self.form.fields:
            setattr(form, f.name, self.form.value(f.name))
        form.contract_months = form.contract_months or None
        form.duration_hours = form.duration_hours or None
        return form

    def save(self) -> bool:
        if self.status != QuoteStatus.DRAFT:
            return True
        form = self.dump()
        try:
            quote = self.ctx.call(
                sheets.save_quote, self.quote_id, form, self.checked_sheets(), topic="quotes"
            )
            self.quote_id = quote.id
        except PropreoError as exc:
            self.form.show_errors(exc)
            self.tabs.setCurrentIndex(0)
            return False
        self.form.clear_errors()
        self.saved.emit(self.quote_id)
        self.update_totals()
        return True

    def update_totals(self) -> None:
        """Each line's total and the quote's HT / TVA / TTC as the user types, by the rules
        the save applies (app.quotes.quotes.preview_lines)."""
        preview = self.ctx.query(uc.preview_lines, self.lines.lines())
        self.lines.show_totals(preview.line_totals)
        t = preview.totals
        self.totals.setText(
            _("Total HT : {ht} — TVA : {vat} — TTC : {ttc}").format(
                ht=format_amount(t.total_ht),
                vat=format_amount(t.total_vat),
                ttc=format_amount(t.total_ttc),
            )
        )
