"""Chantiers tab: list of sites and the site record (access, surfaces, constraints, cadencier,
photos)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import site_photos, sites
from app.errors import PropreoError, ValidationError
from app.i18n import _
from app.money import format_amount, format_quantity
from app.site_photos import SitePhoto
from models.quotes import PhotoTag, QuoteKind
from ui import choices
from ui.context import Tab, UiContext
from ui.forms import Field, FormWidget, error_label
from ui.liaison import LiaisonEntriesWidget
from ui.operations import show_error
from ui.photo_viewer import PhotoViewer
from ui.quote_builder import BuilderPanel
from ui.quote_editor import PhotoList
from ui.table import Column, RecordList

COLUMNS = [
    Column(_("Code"), lambda r: r.code, 110),
    Column(_("Chantier"), lambda r: r.name, 260),
    Column(_("Client"), lambda r: r.client, 200),
    Column(_("Payeur"), lambda r: r.payer, 180),
    Column(_("Ville"), lambda r: r.city, 120),
    Column(_("Surface m²"), lambda r: r.surface, 90),
    Column(_("Actif"), lambda r: r.active, 50),
]


def _fields(client_choices: list[tuple[Any, str]]) -> list[Field]:
    return [
        Field("client_id", _("Client"), kind="choice", choices=client_choices),
        Field(
            "payer_id",
            _("Payeur"),
            kind="choice",
            choices=[(None, _("— le client lui-même")), *client_choices[1:]],
            tooltip=_("Le client qui paie quand ce n'est pas le client du chantier."),
        ),
        Field("code", _("Code chantier")),
        Field("name", _("Nom du chantier")),
        Field("street", _("Adresse du chantier")),
        Field("street2", _("Complément d'adresse")),
        Field("postcode", _("Code postal")),
        Field("city", _("Ville")),
        Field(
            "country",
            _("Pays du chantier"),
            tooltip=_(
                "Code à deux lettres. Un immeuble hors de France est hors du champ de la "
                "TVA française (art. 259 A 2° du CGI)."
            ),
        ),
        Field("opening_hours", _("Horaires d'intervention"), placeholder=_("ex. 6h00–8h30")),
        Field("access_codes", _("Codes d'accès"), kind="multiline"),
        Field("keys", _("Clés"), kind="multiline", tooltip=_("Clés, badges : qui les détient.")),
        Field(
            "surfaces",
            _("Surfaces"),
            kind="multiline",
            tooltip=_("Une zone par ligne : « Bureaux : 450 » (m²)."),
            placeholder=_("Bureaux : 450"),
        ),
        Field("floor_types", _("Types de sols"), placeholder=_("Moquette, carrelage, PVC…")),
        Field("onsite_contact", _("Contact sur place")),
        Field("onsite_phone", _("Téléphone sur place")),
        Field("constraints_notes", _("Autres contraintes"), kind="multiline"),
    ]


class SitesTab(Tab):
    title = _("Chantiers")
    help_chapter = "chantiers"
    topics = ("clients", "sites")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.site_id: int | None = None
        self.list = RecordList(
            COLUMNS,
            filters=[
                (_("Chantiers actifs"), lambda r: r.active),
                (_("Tous"), None),
                (_("Inactifs"), lambda r: not r.active),
            ],
            export_name="chantiers",
            parent=self,
        )
        self.list.selection_changed.connect(self._on_select)
        self.list.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.form = FormWidget(_fields([(None, "—")]), self)
        for name, first in (("client_id", "—"), ("payer_id", _("— le client lui-même"))):
            combo = self.form.widget(name)
            assert isinstance(combo, QComboBox)
            choices.bind(ctx, combo, "clients", fixed=[(None, first)])
        self.checks: dict[str, QCheckBox] = {}
        box = QGroupBox(_("Contraintes techniques"), self)
        grid = QGridLayout(box)
        for i, (code, label) in enumerate(sites.CONSTRAINTS.items()):
            check = QCheckBox(label, box)
            self.checks[code] = check
            grid.addWidget(check, i // 2, i % 2)
        self.constraints_error = error_label(self)
        photos_box = self._photos_box()
        schedule_box = self._schedule_box()

        record = QWidget(self)
        record_layout = QVBoxLayout(record)
        record_layout.addWidget(self.form)
        record_layout.addWidget(box)
        record_layout.addWidget(self.constraints_error)
        record_layout.addWidget(schedule_box)
        record_layout.addWidget(photos_box)
        self.liaison = LiaisonEntriesWidget(ctx, parent=self)  # the site's liaison entries
        record_layout.addWidget(self.liaison)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(record)
        self.title_label = QLabel(self)
        self.title_label.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.status = QLabel(self)
        save = QPushButton(_("Enregistrer"), self)
        save.clicked.connect(self.save)
        new = QPushButton(_("Nouveau chantier"), self)
        new.clicked.connect(lambda: self.new_site(self.form.value("client_id")))
        toggle = QPushButton(_("Désactiver / réactiver"), self)
        toggle.clicked.connect(self.toggle_active)
        bottom = QHBoxLayout()
        bottom.addWidget(new)
        bottom.addWidget(toggle)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(save)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.title_label)
        right_layout.addWidget(scroll)
        right_layout.addLayout(bottom)
        splitter = QSplitter(self)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()
        if not self.list.select_first():
            self._load_form(sites.SiteForm(), None)

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(sites.list_sites))

    def _load_form(
        self, form: sites.SiteForm, site_id: int | None, photos: list[SitePhoto] | None = None
    ) -> None:
        self.site_id = site_id
        self.form.load(form)
        for code, check in self.checks.items():
            check.setChecked(code in form.constraints)
        self.constraints_error.hide()
        self._show_photos(photos or [])
        self.schedule.set_site(site_id, dt.date.today(), QuoteKind.CONTRACT)
        self.schedule.table_buttons.setEnabled(site_id is not None)
        self.liaison.set_target(site_id=site_id)
        self.title_label.setText(f"{form.code} — {form.name}" if site_id else _("Nouveau chantier"))
        self.status.setText("")

    def _on_select(self, row: Any) -> None:
        if row is not None and row.id != self.site_id:
            self.open_site(row.id)

    def open_site(self, site_id: int) -> None:
        form, photos = self.ctx.query(
            lambda s: (
                sites.form_from_site(sites.get_site(s, site_id)),
                site_photos.site_photos(s, site_id),
            )
        )
        self._load_form(form, site_id, photos)
        for i, row in enumerate(self.list.visible_rows()):
            if row.id == site_id:
                self.list.view.selectRow(i)

    def new_site(self, client_id: int | None = None) -> None:
        form = self.ctx.query(sites.new_site_form, client_id) if client_id else sites.SiteForm()
        self._load_form(form, None)

    def save(self) -> bool:
        data = self.form.dump(sites.SiteForm())
        data.constraints = [code for code, check in self.checks.items() if check.isChecked()]
        try:
            site = self.ctx.call(sites.save_site, self.site_id, data, topic="sites")
        except PropreoError as exc:
            self.form.show_errors(exc)
            self.status.setText(_("Enregistrement refusé : corrigez les champs signalés."))
            return False
        self.refresh()
        self.open_site(site.id)
        self.status.setText(_("Enregistré."))
        return True

    def toggle_active(self) -> None:
        row = self.list.current()
        if row is None:
            return
        try:
            self.ctx.call(sites.set_site_active, row.id, not row.active, topic="sites")
        except PropreoError as exc:
            show_error(self, exc)

    # --- cadencier -------------------------------------------------------------------------

    def _schedule_box(self) -> QGroupBox:
        """The site's cadencier (tasks, frequency, time per pass, qualification), edited and
        saved here as in the quote's Chiffrage page; prices and margins stay in the quote."""
        box = QGroupBox(_("Tâches et fréquences"), self)
        self.schedule = BuilderPanel(self.ctx, box)
        self.schedule.apply_button.hide()
        self.schedule.summary.hide()
        for form in self.schedule.findChildren(QFormLayout):
            for edit in (
                self.schedule.products,
                self.schedule.equipment,
                self.schedule.overheads,
                self.schedule.margin,
                self.schedule.target,
            ):
                form.setRowVisible(edit, False)
        self.schedule.tasks.setMinimumHeight(160)
        self.schedule.computed.connect(self._update_schedule_hours)
        self.schedule_hours = QLabel(box)
        self.schedule_hours.setToolTip(
            _("Heures de main-d'œuvre par mois et leur coût chargé à la date du jour")
        )
        layout = QVBoxLayout(box)
        layout.addWidget(self.schedule)
        layout.addWidget(self.schedule_hours)
        return box

    def _update_schedule_hours(self) -> None:
        result = self.schedule.result
        if result is None or not result.task_hours:
            self.schedule_hours.setText(
                self.schedule.summary.text() if result is None and self.site_id else ""
            )
            return
        self.schedule_hours.setText(
            _("Heures par mois : {hours} h — main-d'œuvre chargée : {labour}").format(
                hours=format_quantity(result.hours), labour=format_amount(result.labour)
            )
        )

    # --- photos ---------------------------------------------------------------------------

    def _photos_box(self) -> QGroupBox:
        box = QGroupBox(_("Photos"), self)
        self.photos = PhotoList(box)
        self.photos.setMinimumHeight(190)
        self.photos.setGridSize(QSize(190, 170))
        self.photos.setWordWrap(True)
        self.photos.setResizeMode(PhotoList.ResizeMode.Adjust)
        self.photos.setToolTip(
            _("Déposez ici des photos JPEG, PNG ou WebP ; double-clic pour agrandir")
        )
        self.photos.files_dropped.connect(self.add_photos)
        self.photos.itemDoubleClicked.connect(lambda item: self.open_viewer(self.photos.row(item)))
        self.photos.currentRowChanged.connect(lambda _row: self._update_photo_buttons())
        self.photo_tag = QComboBox(box)
        for value, label in PhotoTag.LABELS.items():
            self.photo_tag.addItem(label, value)
        self.photo_tag.setToolTip(_("Étiquette des photos ajoutées (avant / après travaux)"))
        self.add_photo_button = QPushButton(_("Ajouter des photos…"), box)
        self.add_photo_button.clicked.connect(self._choose_photos)
        self.view_photo_button = QPushButton(_("Agrandir"), box)
        self.view_photo_button.clicked.connect(lambda: self.open_viewer(self.photos.currentRow()))
        self.remove_photo_button = QPushButton(_("Retirer la photo"), box)
        self.remove_photo_button.clicked.connect(lambda: self.remove_photo())
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(_("Nouvelles photos :"), box))
        buttons.addWidget(self.photo_tag)
        buttons.addWidget(self.add_photo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.view_photo_button)
        buttons.addWidget(self.remove_photo_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.photos)
        layout.addLayout(buttons)
        self.photo_rows: list[SitePhoto] = []
        self.viewer: PhotoViewer | None = None
        return box

    def _show_photos(self, rows: list[SitePhoto]) -> None:
        self.photo_rows = list(rows)
        self.photos.clear()
        for row in rows:
            item = QListWidgetItem(QIcon(QPixmap(row.thumb_path)), row.title)
            day = f"{row.added_on:%d/%m/%Y}" if row.added_on else ""
            item.setToolTip(" — ".join(x for x in (row.original_name, day) if x))
            self.photos.addItem(item)
        self._update_photo_buttons()

    def _update_photo_buttons(self) -> None:
        row = self.photos.currentRow()
        current = self.photo_rows[row] if 0 <= row < len(self.photo_rows) else None
        self.view_photo_button.setEnabled(current is not None)
        self.remove_photo_button.setEnabled(current is not None and current.removable)
        if current is not None and not current.removable:
            self.remove_photo_button.setToolTip(
                _("Photo du devis {ref} : à retirer depuis le devis").format(
                    ref=current.quote_reference
                )
            )
        else:
            self.remove_photo_button.setToolTip("")

    def _choose_photos(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Photos du chantier"), "", _("Images (*.jpg *.jpeg *.png *.webp *.heic)")
        )
        if paths:
            self.add_photos(paths)

    def add_photos(self, paths: list[str], tag: str | None = None, caption: str = "") -> int:
        """Attach image files (dialog or drop) to the site; a new site is saved first.
        Refused files are reported together, the others kept."""
        if self.site_id is None and not self.save():
            return 0
        site_id = self.site_id
        assert site_id is not None
        tag = tag or self.photo_tag.currentData()
        added, errors = 0, []
        for path in paths:
            try:
                self.ctx.call(
                    site_photos.add_site_photo_file,
                    site_id,
                    path,
                    tag=tag,
                    caption=caption,
                    topic="sites",
                )
                added += 1
            except PropreoError as exc:
                errors.append(str(exc))
        self._reload_photos()
        if errors:
            show_error(self, ValidationError(_("Photo"), "\n".join(errors)))
        return added

    def _reload_photos(self) -> None:
        if self.site_id is not None:
            self._show_photos(self.ctx.query(site_photos.site_photos, self.site_id))

    def open_viewer(self, index: int) -> PhotoViewer | None:
        if not 0 <= index < len(self.photo_rows):
            return None
        self.viewer = PhotoViewer(self.photo_rows, index, self)
        self.viewer.show()
        return self.viewer

    def remove_photo(self, index: int | None = None) -> bool:
        """Detach the selected photo after confirmation."""
        index = self.photos.currentRow() if index is None else index
        if self.site_id is None or not 0 <= index < len(self.photo_rows):
            return False
        row = self.photo_rows[index]
        answer = QMessageBox.question(
            self,
            _("Retirer la photo"),
            _("Retirer la photo « {name} » de ce chantier ?").format(name=row.title),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            self.ctx.call(site_photos.remove_site_photo_entry, self.site_id, row.key, topic="sites")
        except PropreoError as exc:
            show_error(self, exc)
            return False
        self._reload_photos()
        return True
