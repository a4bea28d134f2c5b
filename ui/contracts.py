"""Contrats tab: contract list + form (header, lines grid, échéancier, amendments,
suspensions, history) and the actions of the contract's life (activate, suspend,
resume, terminate with notice, amendment)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import choices as app_choices
from app import clock
from app.billing import contracts as uc
from app.billing import queries
from app.billing.contract_invoices import contract_invoices
from app.billing.contracts import ContractForm, LineForm
from app.billing.invoices import invoice_contract_line
from app.errors import PropreoError, ValidationError
from app.i18n import _
from app.money import format_amount
from models.contracts import ContractStatus, Grouping, Prorata
from ui import choices
from ui.context import Tab, UiContext
from ui.contract_widgets import (
    PLAN_HEADERS,
    AmendmentsPage,
    AskDialog,
    LinesGrid,
    SuspensionsPage,
    fill_table,
    make_table,
    parse_date,
)
from ui.forms import Field, FormWidget
from ui.liaison import LiaisonEntriesWidget
from ui.operations import show_error
from ui.table import Column, RecordList, display

HEADER_FIELDS = [
    Field(
        "client_id",
        _("Client"),
        kind="choice",
        tooltip=_("Le client payeur : les factures lui sont adressées."),
    ),
    Field("site_id", _("Chantier"), kind="choice"),
    Field("title", _("Objet")),
    Field(
        "reference", _("Référence"), tooltip=_("Référence du marché ou du contrat chez le client.")
    ),
    Field(
        "purchase_order", _("Bon de commande"), tooltip=_("Repris sur chaque facture du contrat.")
    ),
    Field("start_date", _("Date de début"), kind="date"),
    Field("end_date", _("Date de fin"), placeholder=_("jj/mm/aaaa (vide : sans fin)")),
    Field("tacit_renewal", _("Tacite reconduction"), kind="bool"),
    Field("renewal_months", _("Durée de reconduction (mois)"), kind="int", maximum=120),
    Field(
        "notice_months",
        _("Préavis (mois)"),
        kind="int",
        maximum=24,
        tooltip=_("Préavis de résiliation en mois."),
    ),
    Field(
        "grouping",
        _("Regroupement"),
        kind="choice",
        choices=list(Grouping.LABELS.items()),
        tooltip=_("Une facture par contrat, par chantier ou une seule par payeur pour le mois."),
    ),
    Field(
        "prorata",
        _("Prorata"),
        kind="choice",
        choices=list(Prorata.LABELS.items()),
        tooltip=_("Calcul des périodes incomplètes : jours calendaires ou mois de 30 jours."),
    ),
    Field("notes", _("Notes"), kind="multiline"),
]


class ContractsTab(Tab):
    title = _("Contrats")
    help_chapter = "contrats"
    topics = ("", "contracts", "billing")

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.contract_id: int | None = None
        self.detail: queries.ContractDetail | None = None
        self.list = RecordList(
            [
                Column(_("N°"), lambda r: r.code, 80),
                Column(_("Client"), lambda r: r.client, 200),
                Column(_("Chantier"), lambda r: r.site, 160),
                Column(_("Objet"), lambda r: r.title, 180),
                Column(_("Statut"), lambda r: r.status_label, 80),
                Column(_("Début"), lambda r: r.start_date, 80),
                Column(_("Fin"), lambda r: r.end_date, 80),
            ],
            filters=[(_("Tous"), None)]
            + [
                (label, (lambda r, s=s: r.status == s))
                for s, label in ContractStatus.LABELS.items()
            ],
            export_name="contrats",
        )
        self.list.selection_changed.connect(lambda row: self.open_contract(row.id) if row else None)

        self.form = FormWidget(HEADER_FIELDS, self)
        self.lines = LinesGrid([], self)
        self.lines.inactive_label = lambda a: ctx.query(app_choices.label_of, "articles", a)
        choices.follow(ctx, self.lines, "articles", self.lines.set_articles)
        self.plan = make_table(PLAN_HEADERS, self)
        self.plan.setToolTip(
            _("Échéancier : périodes facturables sur douze mois, avec ce qui est déjà facturé.")
        )
        # Amendments and suspensions pages: listed with their corrections (cancel, correct).
        self.amend_page = AmendmentsPage(ctx, self)
        self.amendments, self.versions = self.amend_page.table, self.amend_page.versions
        self.suspension_page = SuspensionsPage(ctx, self)
        self.suspensions = self.suspension_page.table
        self.history = make_table([_("Date"), _("Événement")], self)
        self.plan.setColumnWidth(0, 50)
        self.plan.setColumnWidth(1, 300)
        self._load_choices()

        add_line = QPushButton(_("Ajouter une ligne"), self)
        add_line.clicked.connect(lambda: self.lines.add_line())
        self.remove_line_button = QPushButton(_("Supprimer la ligne"), self)
        self.remove_line_button.setToolTip(
            _(
                "Retire la ligne sélectionnée : d'un brouillon à l'enregistrement ; d'un contrat "
                "en vigueur par un avenant (« Avenant… »), à sa date d'effet."
            )
        )
        self.remove_line_button.clicked.connect(lambda: self.lines.remove_line())
        lines_page = QWidget(self)
        lp = QVBoxLayout(lines_page)
        lp.addWidget(self.lines)
        line_bar = QHBoxLayout()
        line_bar.addWidget(add_line)
        line_bar.addWidget(self.remove_line_button)
        line_bar.addStretch(1)
        lp.addLayout(line_bar)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.form, _("Fiche"))
        self.tabs.addTab(lines_page, _("Lignes"))
        self.tabs.addTab(self.plan, _("Échéancier"))
        self.tabs.addTab(self.amend_page, _("Avenants"))
        self.tabs.addTab(self.suspension_page, _("Suspensions"))
        self.tabs.addTab(self.history, _("Historique"))
        self.liaison = LiaisonEntriesWidget(ctx, parent=self)  # entries about this contract
        self.tabs.addTab(self.liaison, _("Cahier de liaison"))
        # Billing history: the documents that billed (or credited) this contract.
        self.invoices = make_table(
            [
                _("N°"),
                _("Type"),
                _("Date"),
                _("Du"),
                _("Au"),
                _("HT du contrat"),
                _("TTC du document"),
                _("État"),
            ],
            self,
        )
        self.invoices.setToolTip(
            _(
                "Factures, avoirs et acomptes du contrat ; « groupée » : la facture porte aussi "
                "d'autres contrats du chantier ou du payeur"
            )
        )
        self.tabs.addTab(self.invoices, _("Factures"))

        self.status_label = QLabel(self)
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, label, slot in [
            ("new", _("Nouveau"), self.new_contract),
            ("save", _("Enregistrer"), self.save),
            ("activate", _("Activer"), self.activate),
            ("amend", _("Avenant…"), self.ask_amendment),
            ("suspend", _("Suspendre…"), self.ask_suspension),
            ("resume", _("Reprendre…"), self.ask_resume),
            ("terminate", _("Résilier…"), self.ask_termination),
            ("extra", _("Hors échéancier…"), self.ask_extra),
            ("duplicate", _("Dupliquer…"), self.ask_duplicate),
        ]:
            button = QPushButton(label, self)
            button.clicked.connect(slot)
            self.buttons[key] = button
            bar.addWidget(button)
        self.buttons["amend"].setToolTip(
            _(
                "Enregistre les lignes modifiées comme un avenant daté, effectif à une date (même passée : régularisation au prochain lancement)."
            )
        )
        bar.addStretch(1)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.addWidget(self.status_label)
        rl.addLayout(bar)
        rl.addWidget(self.tabs, 1)
        splitter = QSplitter(self)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([460, 940])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.refresh()
        if not self.list.select_first():
            self.new_contract()

    def _load_choices(self) -> None:
        """Client and site combos from app.choices, reloaded when clients or sites change."""
        self.sources: dict[str, choices.ChoiceSource] = {}
        for name, kind in (("client_id", "clients"), ("site_id", "sites")):
            combo = self.form.widget(name)
            assert isinstance(combo, QComboBox)
            self.sources[name] = choices.bind(self.ctx, combo, kind, fixed=[(None, "—")])

    def refresh(self) -> None:
        self.list.set_rows(self.ctx.query(queries.list_contracts))
        if self.contract_id is not None:
            self.open_contract(self.contract_id)

    def new_contract(self) -> None:
        self.contract_id, self.detail = None, None
        self.form.clear_errors()
        self.form.load(ContractForm(start_date=dt.date.today()))
        self.form.set_value("end_date", "")
        self.lines.set_rows([])
        self.lines.add_line()
        for table in (self.plan, self.history, self.invoices):
            table.setRowCount(0)
        self.amend_page.load(None, [])
        self.suspension_page.load(None)
        self.status_label.setText(_("Nouveau contrat (brouillon)"))
        self._update_buttons()

    def open_contract(self, contract_id: int) -> None:
        d = self.ctx.query(queries.contract_detail, contract_id)
        self.contract_id, self.detail = contract_id, d
        self.liaison.set_target(contract_id=contract_id)
        self.form.clear_errors()
        for key, value in d.header.items():
            if key in self.sources:
                self.sources[key].ensure(value)
            if key in self.form.widgets:
                self.form.set_value(key, value if key != "end_date" else display(value))
        self.lines.set_rows(d.current)
        fill_table(
            self.plan,
            [
                [
                    p.line,
                    p.description,
                    p.start,
                    p.end,
                    p.due,
                    p.amount,
                    p.billed if p.billed is not None else "",
                    p.prorata,
                ]
                for p in d.plan
            ],
        )
        self.amend_page.load(
            contract_id,
            [
                [
                    v.position,
                    v.valid_from,
                    v.amendment,
                    v.description,
                    v.quantity,
                    v.unit_price,
                    v.frequency_label,
                    v.term_label,
                ]
                for v in d.versions
            ],
        )
        self.suspension_page.load(contract_id)
        fill_table(self.history, [[at, text] for at, text in d.history])
        fill_table(
            self.invoices,
            [
                [
                    r.number,
                    r.kind_label,
                    r.issue_date,
                    r.period_start or "",
                    r.period_end or "",
                    r.contract_ht,
                    r.total_ttc,
                    r.status_label + (_(" (groupée)") if r.shared else ""),
                ]
                for r in self.ctx.query(contract_invoices, contract_id)
            ],
        )
        self.status_label.setText(f"{d.code} — {ContractStatus.LABELS.get(d.status, d.status)}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        """The actions the contract's status allows, as app.billing asks its workflow."""
        actions = uc.contract_actions(self.detail.status if self.detail else None)
        for key in ("activate", "amend", "suspend", "resume", "terminate", "extra"):
            self.buttons[key].setEnabled(key in actions)
        self.buttons["duplicate"].setEnabled(self.detail is not None)

    def header_form(self) -> ContractForm:
        values = {f.name: self.form.value(f.name) for f in HEADER_FIELDS}
        values["end_date"] = parse_date(values["end_date"], _("Date de fin"))
        form = ContractForm(**values)
        if self.detail:
            form.other_site_ids = list(self.detail.header.get("other_site_ids", []))  # type: ignore[arg-type]
        return form

    def _do(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.form.clear_errors()
        try:
            result = self.ctx.call(fn, *args, topic="contracts", **kwargs)
        except PropreoError as exc:  # shown in the form: under the field it names, or below
            self.form.show_errors(exc)
            return None
        return result

    def save(self) -> int | None:
        try:
            form = self.header_form()
            lines = self.lines.forms()
        except PropreoError as exc:
            self.form.show_errors(exc)
            return None
        if self.contract_id is None:
            contract = self._do(uc.create_contract, form, lines)
            if contract is None:
                return None
            self.contract_id = contract.id
        else:
            editable = self.detail is not None and self.detail.status == ContractStatus.DRAFT
            if (
                self._do(uc.update_contract, self.contract_id, form, lines if editable else None)
                is None
            ):
                return None
        self.open_contract(self.contract_id)
        return self.contract_id

    def activate(self) -> None:
        if self.contract_id is not None:
            self._do(uc.activate, self.contract_id)

    # --- amendments, suspensions, termination -------------------------------------------

    def changed_lines(self) -> list[LineForm]:
        """Lines of the grid that differ from the current versions (or are new), and the
        lines taken out of the grid (removed from the amendment's date)."""
        assert self.detail is not None
        current = {v.line_id: v for v in self.detail.current}
        kept = set(self.lines.line_ids)
        changed = [
            LineForm(description=v.description, line_id=v.line_id, removed=True)
            for v in self.detail.current
            if v.line_id not in kept
        ]
        for line in self.lines.forms():
            v = current.get(line.line_id) if line.line_id else None
            if v is None or (
                line.description,
                Decimal(str(line.quantity).replace(",", ".")),
                Decimal(str(line.unit_price).replace(",", ".")),
                line.frequency,
                line.term,
                line.article_id,
                line.months,
            ) != (
                v.description,
                v.quantity,
                v.unit_price,
                v.frequency,
                v.term,
                v.article_id,
                v.months,
            ):
                changed.append(line)
        return changed

    def amend(self, signed: dt.date, effective: dt.date, description: str) -> bool:
        try:
            changes = self.changed_lines()
        except PropreoError as exc:
            self.form.show_errors(exc)
            return False
        if self.contract_id is None or not changes:
            self.form.show_errors(
                ValidationError(
                    _("Lignes"), _("Modifiez d'abord les lignes concernées par l'avenant.")
                )
            )
            return False
        return (
            self._do(
                uc.add_amendment,
                self.contract_id,
                signed_date=signed,
                effective_date=effective,
                description=description,
                changes=changes,
            )
            is not None
        )

    def ask_amendment(self) -> None:
        dialog = AskDialog(
            _("Avenant"),
            [
                Field("signed", _("Signé le"), kind="date"),
                Field(
                    "effective",
                    _("Date d'effet"),
                    kind="date",
                    tooltip=_("Peut être passée : la différence sera régularisée."),
                ),
                Field("description", _("Objet de l'avenant"), kind="multiline"),
            ],
            {"signed": dt.date.today(), "effective": dt.date.today().replace(day=1)},
            self,
        )
        if dialog.exec():
            v = dialog.values()
            self.amend(v["signed"], v["effective"], v["description"])

    def suspend(self, start: dt.date, end: dt.date, billed: bool, reason: str) -> bool:
        if self.contract_id is None:
            return False
        return (
            self._do(uc.suspend, self.contract_id, start, end, billed=billed, reason=reason)
            is not None
        )

    def ask_suspension(self) -> None:
        today = dt.date.today()
        dialog = AskDialog(
            _("Suspension"),
            [
                Field("start", _("Du"), kind="date"),
                Field("end", _("Au"), kind="date"),
                Field(
                    "billed",
                    _("Période facturée"),
                    kind="bool",
                    tooltip=_("Cochée : la suspension ne change pas la facturation."),
                ),
                Field("reason", _("Motif")),
            ],
            {"start": today, "end": today},
            self,
        )
        if dialog.exec():
            v = dialog.values()
            self.suspend(v["start"], v["end"], v["billed"], v["reason"])

    def ask_resume(self) -> None:
        dialog = AskDialog(
            _("Reprise"), [Field("on", _("Reprise le"), kind="date")], {"on": dt.date.today()}, self
        )
        if dialog.exec() and self.contract_id is not None:
            self._do(uc.resume, self.contract_id, dialog.values()["on"])

    def duplicate(self, start: dt.date) -> int | None:
        """A new draft contract copied from this one, starting on ``start``; shown at once."""
        from app.billing.contract_duplicate import duplicate_contract

        if self.contract_id is None:
            return None
        new = self._do(duplicate_contract, self.contract_id, start)
        if new is None:
            return None
        self.refresh()
        self.open_contract(new.id)
        return new.id

    def ask_duplicate(self) -> None:
        dialog = AskDialog(
            _("Dupliquer le contrat"),
            [Field("start", _("Début du nouveau contrat"), kind="date")],
            {"start": clock.today()},
            self,
        )
        if dialog.exec():
            self.duplicate(dialog.values()["start"])

    def terminate(self, notice: dt.date, end: dt.date | None, reason: str) -> bool:
        if self.contract_id is None:
            return False
        return self._do(uc.terminate, self.contract_id, notice, end, reason=reason) is not None

    def ask_termination(self) -> None:
        dialog = AskDialog(
            _("Résiliation"),
            [
                Field("notice", _("Préavis reçu le"), kind="date"),
                Field("end", _("Fin souhaitée"), placeholder=_("jj/mm/aaaa (vide : au plus tôt)")),
                Field("reason", _("Motif")),
            ],
            {"notice": dt.date.today()},
            self,
        )
        if dialog.exec():
            v = dialog.values()
            try:
                end = parse_date(v["end"], _("Fin souhaitée"))
            except PropreoError as exc:
                show_error(self, exc)
                return
            if self.terminate(v["notice"], end, v["reason"]):
                QMessageBox.information(
                    self,
                    _("Résiliation"),
                    _("Contrat résilié : la dernière période sera proratisée."),
                )

    # --- a contract line invoiced outside its plan ------------------------------------

    def bill_outside_plan(self, line_id: int, on: dt.date, quantity: str) -> int | None:
        """A draft invoice for an extra passage of a line, priced as the line on that date."""
        invoice = self._do(invoice_contract_line, line_id, issue_date=on, quantity=quantity)
        if invoice is None:
            return None
        self.status_label.setText(
            _("Facture provisoire créée ({amount} HT) : à émettre dans Facturation.").format(
                amount=format_amount(invoice.total_ht)
            )
        )
        return invoice.id

    def ask_extra(self) -> None:
        if self.detail is None:
            return
        choices = [
            (v.line_id, _("Ligne {n} — {label}").format(n=v.position, label=v.description))
            for v in self.detail.current
        ]
        dialog = AskDialog(
            _("Facturer hors échéancier"),
            [
                Field("line", _("Ligne"), kind="choice", choices=choices),
                Field("on", _("Date de facture"), kind="date"),
                Field(
                    "quantity",
                    _("Quantité"),
                    tooltip=_("Nombre de passages ou d'unités à facturer."),
                ),
            ],
            {"on": dt.date.today(), "quantity": "1"},
            self,
        )
        if dialog.exec():
            v = dialog.values()
            self.bill_outside_plan(v["line"], v["on"], v["quantity"])
