"""Demo step 2: master data — clients, syndics and copropriétés, sites, contacts; the
catalogue and the cost grid come from :mod:`app.demo.catalogue`. Everything goes through
the real use cases (validation included)."""

from __future__ import annotations

from typing import Any

from schwifty import IBAN
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clients import ClientForm, create_client, suggest_client_code
from app.contacts import ContactForm, save_contact
from app.demo.catalogue import load_catalogue
from app.demo.identity import fr_vat, make_siren, make_siret
from app.sites import SiteForm, save_site, suggest_site_code
from models.clients import Client, ClientKind
from models.users import User

# code hint, name, legal form, street, postcode, city, siren base, terms, days, means, surfaces
COMPANIES: list[tuple[str, str, str, str, str, str, str, str, int, str, str]] = [
    (
        "OFF1",
        "Cabinet Arnaud & Associés",
        "SELARL",
        "45 cours Lafayette",
        "69003",
        "Lyon",
        "41253678",
        "net",
        30,
        "transfer",
        "Bureaux : 380\nSanitaires : 30\nAccueil : 45",
    ),
    (
        "OFF2",
        "Rhône Conseil Informatique",
        "SAS",
        "8 rue de la Part-Dieu",
        "69003",
        "Lyon",
        "52318749",
        "days_eom",
        45,
        "direct_debit",
        "Plateau : 620\nSanitaires : 40\nCuisine : 25",
    ),
    (
        "OFF3",
        "Assurances Berthier",
        "SARL",
        "112 avenue Jean Jaurès",
        "69007",
        "Lyon",
        "38871254",
        "net",
        30,
        "cheque",
        "Bureaux : 240\nSanitaires : 18",
    ),
    (
        "SHOP",
        "Boulangerie Pâtisserie Lenoir",
        "EURL",
        "3 place Bellecour",
        "69002",
        "Lyon",
        "79345612",
        "on_receipt",
        0,
        "card",
        "Magasin : 60\nLaboratoire : 45",
    ),
    (
        "SHP2",
        "Optique Vision Croix-Rousse",
        "SARL",
        "27 grande rue de la Croix-Rousse",
        "69004",
        "Lyon",
        "81523476",
        "net",
        30,
        "direct_debit",
        "Magasin : 90",
    ),
    (
        "CLIN",
        "Clinique vétérinaire des Monts d'Or",
        "SELARL",
        "5 chemin de Saint-Didier",
        "69760",
        "Limonest",
        "44712389",
        "net",
        30,
        "transfer",
        "Salles de soins : 120\nAttente : 40\nSanitaires : 15",
    ),
    (
        "SCHO",
        "École privée Sainte-Blandine",
        "Association",
        "18 rue Sainte-Hélène",
        "69002",
        "Lyon",
        "77981234",
        "eom_plus",
        15,
        "transfer",
        "Classes : 900\nCouloirs : 250\nSanitaires : 80\nRéfectoire : 150",
    ),
    (
        "GARA",
        "Garage Moderne Villeurbanne",
        "SAS",
        "140 cours Émile Zola",
        "69100",
        "Villeurbanne",
        "31298754",
        "net",
        30,
        "lcr",
        "Atelier : 400\nShowroom : 150",
    ),
    (
        "HOTL",
        "Hôtel du Parc Tête d'Or",
        "SAS",
        "62 boulevard des Belges",
        "69006",
        "Lyon",
        "42876531",
        "days_eom",
        45,
        "transfer",
        "Chambres : 1100\nHall : 120\nSalle petit-déjeuner : 90",
    ),
    (
        "BATI",
        "Bâti Rhône Construction",
        "SAS",
        "2 rue du Dauphiné",
        "69120",
        "Vaulx-en-Velin",
        "53187642",
        "net",
        45,
        "transfer",
        "Base vie : 80",
    ),
    (
        "PHAR",
        "Laboratoires Dermaclair",
        "SA",
        "15 avenue Tony Garnier",
        "69007",
        "Lyon",
        "33456127",
        "eom_plus",
        30,
        "transfer",
        "Bureaux : 800\nSalles blanches : 200",
    ),
    (
        "GYMN",
        "Salle Forme & Santé",
        "SARL",
        "9 rue Garibaldi",
        "69006",
        "Lyon",
        "88123457",
        "net",
        30,
        "direct_debit",
        "Plateau sportif : 500\nVestiaires : 120",
    ),
]

CONTACT_NAMES = [
    ("Nathalie Girard", "Responsable des services généraux", "Services généraux"),
    ("Thomas Lefèvre", "Comptable", "Comptabilité"),
    ("Isabelle Roux", "Directrice", "Direction"),
    ("Julien Faure", "Office manager", "Administration"),
    ("Céline Mercier", "Assistante de direction", "Direction"),
    ("Pierre Chevalier", "Gestionnaire de copropriété", "Gestion"),
]


def _iban(rng: Any) -> str:
    account = f"{rng.randrange(10**10, 10**11):011d}"
    bank = rng.choice(["3000400012", "3000300345", "1820600100", "1027800012"])
    return IBAN.generate("FR", bank_code=bank, account_code=account).compact


def _client(session: Session, form: ClientForm) -> Client:
    form.code = suggest_client_code(session, form.name, kind=form.kind)
    return create_client(session, form)


def _site(
    session: Session,
    client: Client,
    name: str,
    street: str,
    postcode: str,
    city: str,
    surfaces: str,
    constraints: list[str],
    **extra: Any,
) -> Any:
    form = SiteForm(
        code=suggest_site_code(session, client.id),
        name=name,
        client_id=client.id,
        street=street,
        postcode=postcode,
        city=city,
        surfaces=surfaces,
        constraints=constraints,
        **extra,
    )
    return save_site(session, None, form)


def load(session: Session, ctx: Any) -> None:
    rng = ctx.rng

    load_catalogue(session, ctx)

    # --- clients and their sites -------------------------------------------------------------
    clients: dict[str, Client] = {}
    sites: dict[str, Any] = {}
    for i, (key, name, form_, street, pc, city, base, kind, days, means, surf) in enumerate(
        COMPANIES
    ):
        siren = make_siren(base)
        iban = _iban(rng) if means == "direct_debit" else ""
        client = _client(
            session,
            ClientForm(
                kind=ClientKind.COMPANY,
                name=name,
                legal_form=form_,
                siren=siren,
                siret=make_siret(siren, 10 + i),
                vat_number=fr_vat(siren),
                street=street,
                postcode=pc,
                city=city,
                phone=f"04 78 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
                email=f"contact@{_domain(name)}",
                invoice_email=f"factures@{_domain(name)}",
                sending_mode="email",
                payment_term_kind=kind,
                payment_term_days=days,
                payment_means=means,
                iban=iban,
                mandate_reference=f"RUM-LPS-{i + 1:04d}" if iban else "",
                credit_limit=str(rng.choice([5000, 10000, 15000, 20000])),
            ),
        )
        clients[key] = client
        constraints = rng.sample(
            ["water_point", "storage_room", "lift", "hours_restricted", "alarm", "badge"], 3
        )
        if key == "CLIN":
            constraints += ["hygiene_zone", "products_forbidden", "safety_equipment"]
        if key == "BATI":
            constraints += ["safety_equipment", "height_work"]
        sites[key] = _site(
            session,
            client,
            f"{name} — {city}",
            street,
            pc,
            city,
            surf,
            constraints,
            opening_hours=rng.choice(["6h00–8h30", "18h30–21h00", "12h00–14h00 et 19h00–21h00"]),
            access_codes=f"Digicode {rng.randrange(1000, 9999)}B",
            keys="Badge n° " + str(rng.randrange(100, 999)),
            floor_types=rng.choice(
                ["Moquette, carrelage", "PVC, carrelage", "Parquet, béton ciré"]
            ),
            constraints_notes="Clés à retirer à l'accueil le premier jour.",
        )
        for c_name, role, service in rng.sample(CONTACT_NAMES[:5], 2):
            save_contact(
                session,
                None,
                ContactForm(
                    client_id=client.id,
                    name=c_name,
                    role=role,
                    service=service,
                    phone=f"04 72 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
                    email=f"{_login(c_name)}@{_domain(name)}",
                    is_invoice_contact=service == "Comptabilité",
                ),
            )
    # A second site for the bank-like office client, and the builder's second base.
    sites["OFF2B"] = _site(
        session,
        clients["OFF2"],
        "Rhône Conseil Informatique — Agence Vaise",
        "21 rue de Bourgogne",
        "69009",
        "Lyon",
        "Bureaux : 210\nSanitaires : 12",
        ["water_point", "badge"],
    )

    # Public body (Chorus Pro).
    siren = make_siren("21690123")
    mairie = _client(
        session,
        ClientForm(
            kind=ClientKind.PUBLIC,
            name="Mairie de Caluire-et-Cuire",
            legal_form="Collectivité territoriale",
            siren=siren,
            siret=make_siret(siren, 15),
            street="Place du Docteur Dugoujon",
            postcode="69300",
            city="Caluire-et-Cuire",
            email="services.techniques@ville-caluire.fr",
            sending_mode="platform",
            payment_term_kind="net",
            payment_term_days=30,
            chorus_service_code="SERV-TECH",
            chorus_commitment="EJ-2026-0412",
        ),
    )
    clients["MAIRIE"] = mairie
    sites["MAIRIE"] = _site(
        session,
        mairie,
        "Médiathèque de Caluire",
        "Rue Jean Moulin",
        "69300",
        "Caluire-et-Cuire",
        "Salles de lecture : 700\nBureaux : 120\nSanitaires : 40",
        ["hours_restricted", "alarm", "lift", "water_point"],
        opening_hours="7h00–9h30 (avant ouverture au public)",
    )

    # Private persons.
    for key, name, street, pc, city, article in (
        ("PART1", "Mme Hélène Dubois", "14 rue Vendôme", "69006", "Lyon", "SAPMEN"),
        ("PART2", "M. Olivier Perrin", "7 montée de la Grande Côte", "69001", "Lyon", ""),
        ("PART3", "Mme Camille Fontaine", "31 chemin des Vignes", "69130", "Écully", ""),
    ):
        person = _client(
            session,
            ClientForm(
                kind=ClientKind.PERSON,
                name=name,
                street=street,
                postcode=pc,
                city=city,
                email=f"{_login(name)}@orange.fr",
                sending_mode="email",
                payment_term_kind="on_receipt",
                payment_term_days=0,
                payment_means="direct_debit" if article else "cheque",
                iban=_iban(rng) if article else "",
                mandate_reference="RUM-LPS-SAP-0001" if article else "",
            ),
        )
        clients[key] = person
        sites[key] = _site(
            session, person, f"Domicile {name}", street, pc, city, "Logement : 95", ["water_point"]
        )

    # Syndics / régies and their copropriétés.
    syndics = [
        (
            "REGIE",
            "Régie Foncière des Brotteaux",
            "SAS",
            "54 boulevard des Brotteaux",
            "69006",
            "Lyon",
            "49812376",
            [
                # A syndicat de copropriétaires may hold a SIREN (not its registration number
                # at the registre des copropriétés): then it is printed and exported (BT-47).
                ("Résidence Le Parc des Brotteaux", "12 rue Tronchet", "69006", "Lyon", "90145672"),
                (
                    "Résidence Les Jardins de Saxe",
                    "88 avenue Maréchal de Saxe",
                    "69003",
                    "Lyon",
                    "",
                ),
                ("Le Clos Monplaisir", "4 rue Saint-Maurice", "69008", "Lyon", ""),
                ("Les Terrasses de Fourvière", "19 montée Saint-Barthélemy", "69005", "Lyon", ""),
            ],
        ),
        (
            "SYND",
            "Cabinet Vallon Syndic",
            "SARL",
            "6 rue de la Charité",
            "69002",
            "Lyon",
            "51267834",
            [
                ("Résidence Les Tilleuls", "23 rue des Tilleuls", "69100", "Villeurbanne", ""),
                ("Le Carré Gerland", "150 avenue Jean Jaurès", "69007", "Lyon", "83920417"),
                ("Résidence Bellevue", "2 rue Bellevue", "69300", "Caluire-et-Cuire", ""),
            ],
        ),
    ]
    for key, name, form_, street, pc, city, base, condos in syndics:
        siren = make_siren(base)
        syndic = _client(
            session,
            ClientForm(
                kind=ClientKind.MANAGER,
                name=name,
                legal_form=form_,
                siren=siren,
                siret=make_siret(siren, 20),
                vat_number=fr_vat(siren),
                street=street,
                postcode=pc,
                city=city,
                email=f"gestion@{_domain(name)}",
                invoice_email=f"comptabilite@{_domain(name)}",
                sending_mode="email",
                payment_term_kind="net",
                payment_term_days=30,
            ),
        )
        clients[key] = syndic
        save_contact(
            session,
            None,
            ContactForm(
                client_id=syndic.id,
                name=CONTACT_NAMES[5][0] if key == "REGIE" else "Sandrine Morel",
                role="Gestionnaire de copropriété",
                service="Gestion",
                phone="04 78 52 10 10",
                email=f"gestion@{_domain(name)}",
            ),
        )
        for n, (residence, c_street, c_pc, c_city, c_siren) in enumerate(condos, start=1):
            condo = _client(
                session,
                ClientForm(
                    kind=ClientKind.CONDOMINIUM,
                    name=residence,
                    manager_id=syndic.id,
                    siren=make_siren(c_siren) if c_siren else "",
                    street=c_street,
                    postcode=c_pc,
                    city=c_city,
                    invoice_email=f"comptabilite@{_domain(name)}",
                    sending_mode="email",
                    payment_term_kind="net",
                    payment_term_days=30,
                ),
            )
            clients[f"{key}{n}"] = condo
            sites[f"{key}{n}"] = _site(
                session,
                condo,
                f"{residence} — parties communes",
                c_street,
                c_pc,
                c_city,
                f"Halls et paliers : {rng.randrange(150, 400)}\nEscaliers : {rng.randrange(60, 160)}"
                f"\nLocal poubelles : {rng.randrange(10, 25)}",
                ["water_point", "storage_room", rng.choice(["lift", "no_lift"]), "waste_sorting"],
                opening_hours="Lundi et jeudi matin",
                access_codes=f"Vigik — code {rng.randrange(1000, 9999)}",
                onsite_contact="Conseil syndical",
            )

    ctx["clients"] = {c.code: c for c in clients.values()}
    ctx["client_keys"] = clients  # stable demo keys (OFF1, REGIE1…) → Client
    ctx["sites"] = {s.code: s for s in sites.values()}
    ctx["site_keys"] = sites
    ctx["users"] = {u.login: u for u in session.scalars(select(User))}
    session.flush()


def _domain(name: str) -> str:
    from app.clients import code_letters

    words = [w for w in name.lower().replace("'", " ").split() if len(w) > 3][:2]
    ascii_words = [code_letters(w, 20).lower() for w in words] or ["client"]
    return "-".join(ascii_words) + ".fr"


def _login(name: str) -> str:
    from app.clients import code_letters

    parts = [p for p in name.replace(".", " ").split() if p not in ("Mme", "M")]
    return ".".join(code_letters(p, 20).lower() for p in parts[-2:])
