"""Sites: surfaces by zone, constraints checklist, payer, codes, photos, contacts directory."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app import contacts, sites
from app.clients import ClientForm, create_client
from app.demo.identity import make_siren, make_siret
from app.errors import ValidationError, ValidationErrors
from models.clients import Client, ClientKind


def make_client(session: Session, name: str = "Hôtel du Parc", base: str = "42876531") -> Client:
    siren = make_siren(base)
    return create_client(
        session,
        ClientForm(
            code=name[:4].upper().replace("Ô", "O") + "001",
            kind=ClientKind.COMPANY,
            name=name,
            siret=make_siret(siren, 3),
            street="62 boulevard des Belges",
            postcode="69006",
            city="Lyon",
        ),
    )


def test_parse_surfaces() -> None:
    assert sites.parse_surfaces("Bureaux : 450\n\nSanitaires: 32,5 m²\nHall = 1 200") == {
        "Bureaux": Decimal("450"),
        "Sanitaires": Decimal("32.5"),
        "Hall": Decimal("1200"),
    }
    assert sites.total_surface(sites.parse_surfaces("A : 450\nB : 32,5")) == Decimal("482.5")
    with pytest.raises(ValidationError) as exc:
        sites.parse_surfaces("Bureaux 450")
    assert "Ligne 1 des Surfaces" in str(exc.value)
    with pytest.raises(ValidationError):
        sites.parse_surfaces("A : 10\nA : 20")
    assert sites.format_surfaces({"Bureaux": Decimal("450.000")}) == "Bureaux : 450"


def test_site_with_constraints_and_surfaces_round_trips(session: Session) -> None:
    client = make_client(session)
    form = sites.new_site_form(session, client.id)
    assert form.code == f"{client.code}-01"
    assert form.street == "62 boulevard des Belges"
    form.name = "Hôtel du Parc — chambres"
    form.surfaces = "Chambres : 1100\nHall : 120"
    form.constraints = ["lift", "water_point", "hours_restricted"]
    form.constraints_notes = "Chariots par le monte-charge uniquement."
    site = sites.save_site(session, None, form)
    assert json.loads(site.constraints) == ["water_point", "lift", "hours_restricted"]
    assert sites.constraint_labels(site) == [
        "Point d'eau disponible sur place",
        "Ascenseur",
        "Horaires restreints (hors présence du personnel)",
    ]
    again = sites.form_from_site(site)
    assert again.surfaces == "Chambres : 1100\nHall : 120"
    assert sites.suggest_site_code(session, client.id) == f"{client.code}-02"
    [row] = sites.list_sites(session, client_id=client.id)
    assert row.surface == Decimal("1220")
    assert row.payer == "Hôtel du Parc"


def test_site_errors_name_their_fields(session: Session) -> None:
    client = make_client(session)
    form = sites.SiteForm(
        code="X1",
        name="",
        client_id=client.id,
        street="",
        postcode="6900",
        city="Lyon",
        surfaces="oops",
        constraints=["teleport"],
    )
    with pytest.raises(ValidationErrors) as exc:
        sites.save_site(session, None, form)
    assert set(exc.value.fields) == {
        "Nom du chantier",
        "Adresse du chantier",
        "Code postal",
        "Surfaces",
        "Contraintes",
    }


def test_payer_can_be_another_client_and_modifications_are_logged(session: Session) -> None:
    client = make_client(session)
    payer = make_client(session, "Groupe Parc Hôtels", "53187642")
    site = sites.save_site(session, None, sites.new_site_form(session, client.id))
    form = sites.form_from_site(site)
    form.payer_id = payer.id
    form.opening_hours = "6h00–8h30"
    sites.save_site(session, site.id, form)
    assert site.payer_id == payer.id
    assert [r.code for r in sites.list_sites(session, client_id=payer.id)] == [site.code]
    from app.history import client_history

    [modified, _created] = [e for e in client_history(session, client.id) if e.entity == "Chantier"]
    assert "Payeur" in modified.summary and "Horaires" in modified.summary


def test_site_photos_cleaned_and_older_copies_still_listed(
    session: Session, tmp_path: Path
) -> None:
    import io
    import json

    from PIL import Image

    from app.errors import StateError
    from app.site_photos import add_site_photo_file, remove_site_photo_entry, site_photos

    client = make_client(session)
    site = sites.save_site(session, None, sites.new_site_form(session, client.id))
    files = session.info["database"].files_dir
    # A plain copy listed by an older version of Propreo stays visible and removable.
    (files / "sites" / str(site.id)).mkdir(parents=True)
    (files / "sites" / str(site.id) / "hall.jpg").write_bytes(b"old copy")
    site.photos = json.dumps(["hall.jpg"])
    # New photos go through the cleaned store: EXIF dropped, thumbnail made.
    jpeg = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (800, 600), (200, 10, 10)).save(jpeg, "JPEG", exif=exif)
    photo = tmp_path / "escalier.jpg"
    photo.write_bytes(jpeg.getvalue())
    row = add_site_photo_file(session, site.id, photo, tag="after", caption="Escalier B")
    stored = Image.open(row.path)
    assert stored.size == (800, 600) and not stored.getexif()
    assert Path(row.thumb_path).is_file() and row.title == "Après — Escalier B"
    assert [r.key for r in site_photos(session, site.id)] == [row.key, "file:hall.jpg"]

    fake = tmp_path / "notes.jpg"
    fake.write_bytes(b"\xff\xd8\xff fake jpeg")
    with pytest.raises(ValidationError, match=r"notes\.jpg"):
        add_site_photo_file(session, site.id, fake)
    remove_site_photo_entry(session, site.id, "file:hall.jpg")
    remove_site_photo_entry(session, site.id, row.key)
    assert site_photos(session, site.id) == [] and sites.photos_of(site) == []
    with pytest.raises(StateError):
        remove_site_photo_entry(session, site.id, "file:hall.jpg")


def test_contacts_directory_search(session: Session) -> None:
    hotel = make_client(session)
    other = make_client(session, "Garage Moderne", "31298754")
    contacts.save_contact(
        session,
        None,
        contacts.ContactForm(
            client_id=hotel.id, name="Nathalie Girard", role="Gouvernante", phone="04 78 00 00 01"
        ),
    )
    contacts.save_contact(
        session,
        None,
        contacts.ContactForm(
            client_id=other.id,
            name="Thomas Lefèvre",
            role="Comptable",
            email="t.lefevre@garage.fr",
            is_invoice_contact=True,
        ),
    )
    assert [r.name for r in contacts.directory(session)] == ["Nathalie Girard", "Thomas Lefèvre"]
    assert [r.name for r in contacts.directory(session, "compta")] == ["Thomas Lefèvre"]
    assert [r.name for r in contacts.directory(session, "hôtel")] == ["Nathalie Girard"]
    assert [r.name for r in contacts.directory(session, client_id=other.id)] == ["Thomas Lefèvre"]
    with pytest.raises(ValidationErrors) as exc:
        contacts.save_contact(
            session, None, contacts.ContactForm(client_id=hotel.id, name="Sans moyen")
        )
    assert exc.value.fields == ["Téléphone"]
    with pytest.raises(ValidationErrors) as exc:
        contacts.save_contact(
            session, None, contacts.ContactForm(client_id=hotel.id, name="X", email="pas-un-mail")
        )
    assert exc.value.fields == ["E-mail"]
    row = contacts.directory(session, "Girard")[0]
    contacts.set_contact_active(session, row.id, False)
    assert contacts.directory(session, "Girard") == []
