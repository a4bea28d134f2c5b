"""Clients: code rule, identifiers, kinds, SDC addressing, history, ledger, deactivation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clients, ledger, stats
from app.addressing import billing_address_lines, buyer_party
from app.demo.identity import fr_vat, make_siren, make_siret
from app.errors import StateError, ValidationErrors
from app.history import client_history
from app.sites import SiteForm, save_site
from app.terms import DAYS_END_OF_MONTH, END_OF_MONTH_PLUS
from models.clients import Client, ClientKind
from models.company import CompanySettings

SIREN = make_siren("41253678")
SIRET = make_siret(SIREN, 10)


def company_form(name: str = "Cabinet Arnaud & Associés", **kw: object) -> clients.ClientForm:
    values: dict[str, object] = dict(
        kind=ClientKind.COMPANY,
        name=name,
        siret=SIRET,
        vat_number=fr_vat(SIREN),
        street="45 cours Lafayette",
        postcode="69003",
        city="Lyon",
    )
    values.update(kw)
    form = clients.ClientForm(**values)  # type: ignore[arg-type]
    return form


def create(session: Session, form: clients.ClientForm) -> Client:
    if not form.code:
        form.code = clients.suggest_client_code(session, form.name, kind=form.kind)
    return clients.create_client(session, form)


def syndic(session: Session) -> Client:
    siren = make_siren("49812376")
    return create(
        session,
        clients.ClientForm(
            kind=ClientKind.MANAGER,
            name="Régie Foncière des Brotteaux",
            siret=make_siret(siren, 20),
            street="54 boulevard des Brotteaux",
            postcode="69006",
            city="Lyon",
        ),
    )


def condo(session: Session, manager: Client, name: str = "Résidence Les Tilleuls") -> Client:
    return create(
        session,
        clients.ClientForm(
            kind=ClientKind.CONDOMINIUM,
            name=name,
            manager_id=manager.id,
            street="23 rue des Tilleuls",
            postcode="69100",
            city="Villeurbanne",
        ),
    )


def errors_of(exc: pytest.ExceptionInfo[ValidationErrors]) -> dict[str, str]:
    return {e.field: str(e) for e in exc.value.errors}


# --- codes ---------------------------------------------------------------------------------


def test_code_letters_skip_legal_words_and_accents() -> None:
    assert clients.code_letters("Cabinet Arnaud & Associés") == "ARNA"
    assert clients.code_letters("SDC Résidence Les Tilleuls") == "TILL"
    assert clients.code_letters("Hôtel du Parc") == "HOTE"
    assert clients.code_letters("Mme Hélène Dubois", surname_first=True) == "DUBO"
    assert clients.code_letters("A") == "AXX"
    assert clients.code_letters("123") == "XXX"


def test_suggested_codes_count_up_per_prefix(session: Session) -> None:
    assert clients.suggest_client_code(session, "Arnaud") == "ARNA001"
    create(session, company_form("Arnaud Conseil"))
    assert clients.suggest_client_code(session, "Arnaud Immobilier") == "ARNA002"
    assert clients.suggest_client_code(session, "Berthier") == "BERT001"


def test_numeric_rule(session: Session, company: CompanySettings) -> None:
    company.client_code_rule = "numeric"
    assert clients.suggest_client_code(session, "Arnaud") == "000001"
    create(session, company_form())
    assert clients.suggest_client_code(session, "Autre") == "000002"
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form("Autre", code="ARNA001", siret="", vat_number="", siren=SIREN))
    assert "numérique" in errors_of(exc)["Code client"]


def test_code_is_editable_within_the_rule(session: Session) -> None:
    assert clients.check_code(" dupo001 ", "letters") == "DUPO001"
    with pytest.raises(Exception) as exc:
        clients.check_code("12-AB", "letters")
    assert "Code client" in str(exc.value)
    client = create(session, company_form(code="ARNAUD0042"))
    assert client.code == "ARNAUD0042"
    with pytest.raises(ValidationErrors) as dup:
        create(session, company_form("Arnaud bis", code="arnaud0042"))
    assert "déjà utilisé" in errors_of(dup)["Code client"]


# --- identity ------------------------------------------------------------------------------


def test_company_with_valid_siret_gets_siren_and_account(session: Session) -> None:
    client = create(session, company_form(siret=SIRET[:3] + " " + SIRET[3:]))
    assert client.siret == SIRET
    assert client.siren == SIREN
    assert client.account_code == f"411{client.code}"
    assert client.is_professional


def test_invalid_siret_and_iban_are_refused_naming_the_fields(session: Session) -> None:
    form = company_form(
        siret="41253678900011", iban="FR7630004000120001234567800", payment_means="direct_debit"
    )
    with pytest.raises(ValidationErrors) as exc:
        create(session, form)
    found = errors_of(exc)
    assert "Le SIRET « 41253678900011 » n'est pas valide" in found["SIRET"]
    assert found["IBAN"] == "L'IBAN « FR7630004000120001234567800 » n'est pas valide."
    assert session.scalar(select(func.count(Client.id))) == 0


def test_siret_siren_and_vat_must_agree(session: Session) -> None:
    other = make_siren("52318749")
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form(siren=other, vat_number=fr_vat(SIREN)))
    found = errors_of(exc)
    assert "ne commence pas par le SIREN" in found["SIRET"]
    assert "ne correspond pas au SIREN" in found["N° TVA intracommunautaire"]


def test_kind_rules(session: Session) -> None:
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form(siret="", vat_number=""))
    assert "obligatoire pour un client professionnel" in errors_of(exc)["SIRET"]
    with pytest.raises(ValidationErrors) as exc:
        create(
            session,
            company_form("Mairie", kind=ClientKind.PUBLIC, siret="", siren=SIREN, vat_number=""),
        )
    assert "Chorus Pro" in errors_of(exc)["SIRET"]
    with pytest.raises(ValidationErrors) as exc:
        create(
            session,
            company_form(
                "Mme Dubois", kind=ClientKind.PERSON, siret="", siren=SIREN, vat_number=""
            ),
        )
    assert "particulier" in errors_of(exc)["SIREN"]
    with pytest.raises(ValidationErrors) as exc:
        create(
            session,
            clients.ClientForm(
                kind=ClientKind.CONDOMINIUM,
                name="Les Tilleuls",
                street="1 rue A",
                postcode="69001",
                city="Lyon",
            ),
        )
    assert "rattachée à un Syndic" in errors_of(exc)["Syndic"]
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form(payment_means="direct_debit"))
    assert "obligatoire pour un prélèvement" in errors_of(exc)["IBAN"]
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form(sending_mode="email"))
    assert "E-mail de facturation" in errors_of(exc)


def test_person_is_not_professional_and_needs_no_siren(session: Session) -> None:
    person = create(
        session,
        clients.ClientForm(
            kind=ClientKind.PERSON,
            name="Mme Hélène Dubois",
            street="14 rue Vendôme",
            postcode="69006",
            city="Lyon",
        ),
    )
    assert person.code == "DUBO001"
    assert not person.is_professional
    assert not buyer_party(person).is_professional


def test_credit_limit_and_terms(session: Session) -> None:
    client = create(
        session,
        company_form(
            credit_limit="10 000,50", payment_term_kind=DAYS_END_OF_MONTH, payment_term_days=45
        ),
    )
    assert client.credit_limit == Decimal("10000.50")
    issue = dt.date(2026, 1, 15)
    # « 45 jours fin de mois »: 15/01 + 45 days = 01/03, then end of March.
    assert clients.payment_terms(client).due_date(issue) == dt.date(2026, 3, 31)
    client.payment_term_kind = END_OF_MONTH_PLUS
    # « fin de mois + 45 jours »: 31/01 + 45 days = 17/03.
    assert clients.payment_terms(client).due_date(issue) == dt.date(2026, 3, 17)
    with pytest.raises(ValidationErrors) as exc:
        create(session, company_form("Autre", credit_limit="-5"))
    assert "négatif" in errors_of(exc)["Encours autorisé"]
    with pytest.raises(ValidationErrors) as exc:
        create(
            session,
            company_form("Autre", payment_term_kind=DAYS_END_OF_MONTH, payment_term_days=60),
        )
    assert "45 jours" in errors_of(exc)["Délai de paiement"]


# --- syndics and copropriétés --------------------------------------------------------------


def test_sdc_is_addressed_care_of_its_syndic(session: Session) -> None:
    manager = syndic(session)
    tilleuls = condo(session, manager)
    assert billing_address_lines(tilleuls) == [
        "SDC Résidence Les Tilleuls",
        "c/o Régie Foncière des Brotteaux",
        "54 boulevard des Brotteaux",
        "69006 LYON",
    ]
    party = buyer_party(tilleuls)
    assert party.name == "SDC Résidence Les Tilleuls"
    assert party.care_of == "Régie Foncière des Brotteaux"
    assert party.postcode == "69006"
    assert party.building_address == ["23 rue des Tilleuls", "69100 VILLEURBANNE"]
    assert not party.is_professional  # no 40 € indemnity for a syndicat de copropriétaires
    named = condo(session, manager, "SDC Le Carré Gerland")
    assert billing_address_lines(named)[0] == "SDC Le Carré Gerland"
    assert billing_address_lines(manager) == [
        "Régie Foncière des Brotteaux",
        "54 boulevard des Brotteaux",
        "69006 LYON",
    ]


def test_syndic_lists_its_condominiums_and_their_sites(session: Session) -> None:
    manager = syndic(session)
    a = condo(session, manager, "Résidence Les Tilleuls")
    b = condo(session, manager, "Le Carré Gerland")
    for c in (a, b):
        save_site(
            session,
            None,
            SiteForm(
                code=f"{c.code}-01",
                name=f"{c.name} — parties communes",
                client_id=c.id,
                street="1 rue A",
                postcode="69007",
                city="Lyon",
            ),
        )
    rows = clients.managed_condominiums(session, manager.id)
    assert [r.name for r in rows] == ["Le Carré Gerland", "Résidence Les Tilleuls"]
    assert [s[1] for r in rows for s in r.sites] == [f"{b.code}-01", f"{a.code}-01"]
    with pytest.raises(StateError):
        clients.set_client_active(session, manager.id, False)
    with pytest.raises(ValidationErrors) as exc:
        clients.update_client(session, manager.id, _as_company(manager))
    assert "doit rester syndic" in errors_of(exc)["Type de client"]


def _as_company(client: Client) -> clients.ClientForm:
    form = clients.form_from_client(client)
    form.kind = ClientKind.COMPANY
    return form


# --- history, deactivation, deletion -------------------------------------------------------


def test_modification_shows_in_history_with_what_changed(session: Session) -> None:
    client = create(session, company_form())
    form = clients.form_from_client(client)
    form.city = "Villeurbanne"
    form.postcode = "69100"
    clients.update_client(session, client.id, form)
    entries = client_history(session, client.id)
    assert [e.action for e in entries[:2]] == ["Modification", "Création"]
    assert "Ville : Lyon → Villeurbanne" in entries[0].details
    assert "Code postal : 69003 → 69100" in entries[0].details


def test_client_used_by_a_site_is_deactivated_not_deleted(session: Session) -> None:
    client = create(session, company_form())
    save_site(
        session,
        None,
        SiteForm(
            code="S1",
            name="Siège",
            client_id=client.id,
            street="1 rue A",
            postcode="69003",
            city="Lyon",
        ),
    )
    with pytest.raises(StateError) as exc:
        clients.delete_client(session, client.id)
    assert "sites" in str(exc.value)
    clients.set_client_active(session, client.id, False)
    assert not client.active
    assert [r.active for r in clients.list_clients(session)] == [False]
    assert clients.list_clients(session, include_inactive=False) == []
    spare = create(
        session,
        company_form("Erreur de saisie", siret="", siren=make_siren("52318749"), vat_number=""),
    )
    clients.delete_client(session, spare.id)
    assert session.get(Client, spare.id) is None


# --- ledger and statistics -----------------------------------------------------------------


def test_ledger_balance_outstanding_and_credit_limit(session: Session) -> None:
    client = create(session, company_form(credit_limit="1000"))

    def provider(_session: Session, client_id: int) -> list[ledger.LedgerRow]:
        if client_id != client.id:
            return []
        return [
            ledger.LedgerRow(
                dt.date(2026, 2, 1), "payment", "VIR-1", "Virement", credit=Decimal("600.00")
            ),
            ledger.LedgerRow(
                dt.date(2026, 1, 31),
                "invoice",
                "FA2026-00001",
                "Janvier",
                debit=Decimal("720.00"),
                due_date=dt.date(2026, 3, 2),
            ),
            ledger.LedgerRow(
                dt.date(2026, 2, 28),
                "invoice",
                "FA2026-00002",
                "Février",
                debit=Decimal("720.00"),
                due_date=dt.date(2026, 3, 30),
                overdue=True,
            ),
            ledger.LedgerRow(
                dt.date(2026, 2, 28),
                "credit_note",
                "AV2026-00001",
                "Avoir",
                credit=Decimal("120.00"),
            ),
        ]

    source = ledger.LedgerSource(provider)
    ledger.register_source(source)
    try:
        rows = ledger.client_ledger(session, client.id)
        assert [r.reference for r in rows] == [
            "FA2026-00001",
            "VIR-1",
            "FA2026-00002",
            "AV2026-00001",
        ]
        assert [r.balance for r in rows] == [
            Decimal("720.00"),
            Decimal("120.00"),
            Decimal("840.00"),
            Decimal("720.00"),
        ]
        status = ledger.credit_status(session, client.id)
        assert status.outstanding == Decimal("720.00")
        assert status.overdue == Decimal("720.00")
        assert not status.exceeded
        assert status.available == Decimal("280.00")
    finally:
        ledger._SOURCES.remove(source)
    assert ledger.client_ledger(session, client.id) == []


def test_stats_group_by_month_and_family() -> None:
    points = [
        stats.RevenuePoint(2026, 1, "Vitrerie", Decimal("100.00")),
        stats.RevenuePoint(2026, 1, "Nettoyage contrat", Decimal("1250.00")),
        stats.RevenuePoint(2026, 2, "Nettoyage contrat", Decimal("-50.00")),
        stats.RevenuePoint(2025, 12, "Nettoyage contrat", Decimal("1200.00")),
    ]
    assert stats.years(points) == [2025, 2026]
    months = stats.by_month(points, 2026)
    assert months[1] == {"Vitrerie": Decimal("100.00"), "Nettoyage contrat": Decimal("1250.00")}
    assert months[2] == {"Nettoyage contrat": Decimal("-50.00")}
    assert months[12] == {}
    assert stats.by_year_and_family(points)[2026]["Nettoyage contrat"] == Decimal("1200.00")


# --- demo ----------------------------------------------------------------------------------


def test_demo_holds_the_master_data(demo_db) -> None:  # type: ignore[no-untyped-def]
    from models.catalog import Article
    from models.clients import Site

    with demo_db.read() as s:
        by_kind = dict(
            s.execute(select(Client.kind, func.count(Client.id)).group_by(Client.kind)).all()
        )
        assert by_kind[ClientKind.COMPANY] >= 12
        assert by_kind[ClientKind.PUBLIC] == 1
        assert 2 <= by_kind[ClientKind.PERSON] <= 3
        assert by_kind[ClientKind.MANAGER] == 2
        managers = s.scalars(select(Client).where(Client.kind == ClientKind.MANAGER)).all()
        for m in managers:
            rows = clients.managed_condominiums(s, m.id)
            assert 3 <= len(rows) <= 4
            assert all(len(r.sites) >= 1 for r in rows)
        assert all(
            c.sites for c in s.scalars(select(Client).where(Client.kind != ClientKind.MANAGER))
        )
        public = s.scalar(select(Client).where(Client.kind == ClientKind.PUBLIC))
        assert public.siret and public.chorus_service_code
        assert (
            s.scalar(
                select(func.count(Client.id)).where(
                    Client.payment_means == "direct_debit", Client.iban != ""
                )
            )
            >= 3
        )
        codes = {a.code: a.vat_rate.code for a in s.scalars(select(Article))}
        assert len(codes) >= 15
        assert codes["REMFIN"] == "AL"
        assert codes["SAPMEN"] == "T10"
        assert s.scalar(select(func.count(Site.id))) >= 24


def test_revenue_statistics_from_issued_invoices(session: Session) -> None:
    from app.catalog import save_family
    from models.catalog import Account
    from models.invoices import Invoice, InvoiceLine

    client = create(session, company_form())
    account = session.scalar(select(Account.id).where(Account.number == "706100"))
    net = save_family(session, None, "NET", "Nettoyage contrat", account)
    vit = save_family(session, None, "VIT", "Vitrerie", account)

    def invoice(day: dt.date, kind: str, status: str, *lines: tuple[str, object, str]) -> None:
        # Written as a draft then issued, as billing does (issued lines are immutable).
        inv = Invoice(client_id=client.id, issue_date=day, kind=kind, status="draft")
        inv.lines = [
            InvoiceLine(total_ht=Decimal(amount), family_id=family, kind=line_kind)
            for amount, family, line_kind in lines
        ]
        session.add(inv)
        session.flush()
        inv.status = status
        session.flush()

    invoice(
        dt.date(2026, 1, 31),
        "invoice",
        "issued",
        ("1250.00", net.id, "normal"),
        ("100.00", vit.id, "normal"),
    )
    invoice(
        dt.date(2026, 2, 28),
        "invoice",
        "issued",
        ("1250.00", net.id, "normal"),
        ("-300.00", None, "down_payment_deduction"),
    )
    invoice(dt.date(2026, 2, 28), "credit_note", "issued", ("50.00", vit.id, "normal"))
    invoice(dt.date(2026, 2, 10), "down_payment", "issued", ("300.00", None, "normal"))
    invoice(dt.date(2026, 3, 31), "invoice", "draft", ("999.00", net.id, "normal"))
    session.flush()
    points = stats.revenue_points(session, client.id)
    assert points == [
        stats.RevenuePoint(2026, 1, "Nettoyage contrat", Decimal("1250.00")),
        stats.RevenuePoint(2026, 1, "Vitrerie", Decimal("100.00")),
        stats.RevenuePoint(2026, 2, "Nettoyage contrat", Decimal("1250.00")),
        stats.RevenuePoint(2026, 2, "Vitrerie", Decimal("-50.00")),
    ]
    assert stats.by_year_and_family(points) == {
        2026: {"Nettoyage contrat": Decimal("2500.00"), "Vitrerie": Decimal("50.00")}
    }
    assert stats.revenue_points(session, client.id + 1) == []


def test_check_reports_bad_master_data(session: Session) -> None:
    from app.master_check import check_master_data

    manager = syndic(session)
    tilleuls = condo(session, manager)
    client = create(session, company_form())
    assert check_master_data(session) == []
    client.siret = "41253678900011"  # damaged outside the application
    manager.active = False
    assert check_master_data(session) == [
        f"Client {client.code} : Le SIRET « 41253678900011 » n'est pas valide (14 chiffres, clé de contrôle).",
        f"Client {tilleuls.code} : copropriété sans syndic actif.",
    ]
