"""Round-trip through the real widgets: client and contact records (safeguard 1 of issue O).

Every record of the demo firm, plus records holding every optional field, is opened in its
editor and saved untouched: no column of any row may change. Then one field is changed:
only that column changes.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app import clients, contacts
from app.db import Database
from models.clients import Client, ClientKind, Contact
from tests.roundtrip import assert_only, assert_unchanged, changes, snapshot
from ui.clients import ClientsTab
from ui.clients_panels import ContactDialog
from ui.context import UiContext
from ui.operations import Bus, OperationRunner


def _ctx(db: Database) -> UiContext:
    bus = Bus()
    return UiContext(db, bus, OperationRunner(db, bus))


def _ids(db: Database, column) -> list[int]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return list(s.scalars(select(column).order_by(column)))


def _full_clients(db: Database) -> list[int]:
    """Clients holding every optional field the record has, one per kind that enables
    a different set of fields (a foreign company, a public body, a condominium)."""
    with db.write() as s:
        manager = s.scalar(select(Client.id).where(Client.kind == ClientKind.MANAGER))
        common = dict(
            legal_form="SA",
            street="Rue de la Loi 16",
            street2="Bâtiment B, 3e étage",
            postcode="1000",
            city="Bruxelles",
            delivery_street="Quai des Usines 12",
            delivery_postcode="59000",
            delivery_city="Lille",
            phone="+32 2 555 12 34",
            email="contact@exemple.be",
            invoice_email="factures@exemple.be",
            sending_mode="email",
            payment_term_kind="days_eom",
            payment_term_days=45,
            payment_means="direct_debit",
            mandate_reference="RUM-2026-0042",
            iban="BE71096123456769",
            bic="GKCCBEBB",
            credit_limit="12345.67",
            in_litigation=True,
            notes="Accès par le quai, badge à l'accueil.\nDeuxième ligne.",
            account_code="411BRUX",
        )
        foreign = clients.ClientForm(
            code="BRUX001",
            kind=ClientKind.COMPANY,
            name="Bruxelles Services",
            vat_number="BE0123456749",
            country="BE",
            blocked=True,
            **common,
        )
        public = clients.ClientForm(
            code="MAIRIE009",
            kind=ClientKind.PUBLIC,
            name="Mairie de Saint-Exemple",
            siret="21750001600019",
            chorus_service_code="SERV-NETTOYAGE",
            chorus_commitment="EJ-2026-778",
            **{**common, "postcode": "75001", "city": "Paris", "iban": "", "bic": ""},
        )
        condo = clients.ClientForm(
            code="SDC0009",
            kind=ClientKind.CONDOMINIUM,
            name="Résidence Les Tilleuls",
            manager_id=manager,
            **{**common, "postcode": "75011", "city": "Paris", "iban": "", "bic": ""},
        )
        made = []
        for form in (foreign, public, condo):
            if not form.iban:
                form.payment_means, form.mandate_reference = "transfer", ""
            made.append(clients.create_client(s, form).id)
        return made


def test_every_client_saved_untouched_changes_nothing(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_clients(demo_db)
    tab = ClientsTab(_ctx(demo_db))
    qtbot.addWidget(tab)
    ids = _ids(demo_db, Client.id)
    assert len(ids) >= 25 and set(full) <= set(ids)
    before = snapshot(demo_db)
    for client_id in ids:
        tab.editor.load(client_id)
        assert tab.editor.save(), (client_id, tab.editor.status.text())
    assert_unchanged(demo_db, before)


def test_one_client_field_changed_changes_only_that_column(qtbot: QtBot, demo_db: Database) -> None:
    full = _full_clients(demo_db)
    tab = ClientsTab(_ctx(demo_db))
    qtbot.addWidget(tab)
    tab.editor.load(full[0])
    before = snapshot(demo_db)
    tab.editor.form.widget("phone").setText("+32 2 555 99 99")
    assert tab.editor.save()
    [change] = assert_only(demo_db, before, {("clients", "phone")})
    assert (change.key, change.new) == ((full[0],), "+32 2 555 99 99")

    before = snapshot(demo_db)
    tab.editor.form.widget("credit_limit").setText("15 000,50")
    assert tab.editor.save()
    [change] = assert_only(demo_db, before, {("clients", "credit_limit")})
    assert change.new == 1500050  # stored in cents


def test_a_foreign_client_keeps_its_country_and_a_bad_one_is_named(
    qtbot: QtBot, demo_db: Database
) -> None:
    """The form shows « Pays »: saving a Belgian client no longer turns it French."""
    full = _full_clients(demo_db)
    tab = ClientsTab(_ctx(demo_db))
    qtbot.addWidget(tab)
    tab.editor.load(full[0])
    assert tab.editor.form.value("country") == "BE"
    before = snapshot(demo_db)
    tab.editor.form.set_value("country", "Belgique")
    assert not tab.editor.save()
    assert "code ISO à 2 lettres" in tab.editor.form.error_text("country")
    assert_unchanged(demo_db, before)
    tab.editor.form.set_value("country", "lu")
    assert tab.editor.save()
    [change] = assert_only(demo_db, before, {("clients", "country")})
    assert change.new == "LU"


def _full_contact(db: Database) -> int:
    with db.write() as s:
        client_id = s.scalar(select(Client.id).order_by(Client.id))
        form = contacts.ContactForm(
            client_id=client_id,
            name="Mme Aurélie Fontaine",
            role="Responsable des services généraux",
            service="Services généraux",
            phone="01 44 55 66 77",
            mobile="06 12 34 56 78",
            email="a.fontaine@exemple.fr",
            is_invoice_contact=True,
            notes="Joignable le matin.\nPréfère l'e-mail.",
        )
        return contacts.save_contact(s, None, form).id


def test_every_contact_saved_untouched_changes_nothing(qtbot: QtBot, demo_db: Database) -> None:
    _full_contact(demo_db)
    ctx = _ctx(demo_db)
    with demo_db.read() as s:
        rows = [(c.id, c.client_id) for c in s.scalars(select(Contact).order_by(Contact.id))]
    assert len(rows) >= 26
    before = snapshot(demo_db)
    for contact_id, client_id in rows:
        dialog = ContactDialog(ctx, client_id, contact_id)
        qtbot.addWidget(dialog)
        dialog.save()
        assert dialog.result() == 1, (contact_id, dialog.form.general_error.text())
    assert_unchanged(demo_db, before)


def test_one_contact_field_changed_changes_only_that_column(
    qtbot: QtBot, demo_db: Database
) -> None:
    contact_id = _full_contact(demo_db)
    with demo_db.read() as s:
        client_id = s.get(Contact, contact_id).client_id  # type: ignore[union-attr]
    dialog = ContactDialog(_ctx(demo_db), client_id, contact_id)
    qtbot.addWidget(dialog)
    before = snapshot(demo_db)
    dialog.form.widget("mobile").setText("07 00 00 00 01")
    dialog.save()
    [change] = assert_only(demo_db, before, {("contacts", "mobile")})
    assert change.new == "07 00 00 00 01"


def test_the_snapshot_sees_every_kind_of_change(demo_db: Database) -> None:
    """The helper itself: a changed column, an added and a removed row are all reported."""
    before = snapshot(demo_db)
    with demo_db.write() as s:
        first, second = s.scalars(select(Contact).order_by(Contact.id).limit(2))
        first.role = "Autre fonction"
        s.delete(second)
        s.add(Contact(client_id=first.client_id, name="Nouveau", phone="01"))
    found = changes(before, snapshot(demo_db))
    assert {(c.table, c.column) for c in found} == {
        ("contacts", "role"),
        ("contacts", "<ligne supprimée>"),
        ("contacts", "<ligne ajoutée>"),
    }
