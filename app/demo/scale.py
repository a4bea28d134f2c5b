"""Demo step: the reference firm of ``propreo init --demo --contracts N`` (volume).

When ``ctx.contracts`` is set, about N active contracts are added on top of the demo firm:
one client (company, public body, private person, or a copropriété managed by one of the
syndics created here) and one site per contract, ≈3 lines each covering every periodicity
and both terms. Contracts start between May and August 2026, so the billing-history step
(which runs after this one) bills and issues their months up to August 2026 through the
real billing engine — same numbering register, same hash chain — and September 2026 is
left to bill. Clients and sites are bulk-inserted (one flush, no per-row query); contracts
go through :func:`app.billing.contracts.create_contract` so their numbers and audit trail
are exactly what a user would get. Deterministic: everything comes from ``ctx.rng``.

Nothing happens without ``--contracts``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app import audit
from app.billing.contracts import ContractForm, LineForm, _header_values, _line_values
from app.demo.identity import fr_vat, make_siren, make_siret
from app.numbering import next_numbers
from models.clients import Client, ClientKind, Site
from models.contracts import Contract, ContractLine, ContractLineVersion, ContractStatus, Prorata

D = dt.date
# The demo firm already holds about this many contracts of its own.
BASE_COUNT = 25
COPROS_PER_SYNDIC = 12

STREETS = [
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Garibaldi",
    "cours Lafayette",
    "rue Paul Bert",
    "boulevard des Belges",
    "rue Servient",
    "avenue de Saxe",
    "rue Duguesclin",
    "quai Saint-Vincent",
]
CITIES = [
    ("69001", "Lyon"),
    ("69003", "Lyon"),
    ("69006", "Lyon"),
    ("69007", "Lyon"),
    ("69100", "Villeurbanne"),
    ("69300", "Caluire-et-Cuire"),
    ("69130", "Écully"),
    ("69500", "Bron"),
]
COMPANY_WORDS = [
    "Atelier",
    "Cabinet",
    "Société",
    "Groupe",
    "Agence",
    "Laboratoire",
    "Studio",
    "Comptoir",
]
COMPANY_NAMES = ["Rhône", "Saône", "Fourvière", "Confluence", "Part-Dieu", "Bellecour", "Croix"]
PERSONS = ["Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent"]
FIRST = ["Mme Claire", "M. Jean", "Mme Sophie", "M. Luc", "Mme Anne", "M. Paul"]
TAKEN_OVER = D(2026, 9, 20)
STARTS = [D(2026, 5, 1), D(2026, 6, 1), D(2026, 6, 15), D(2026, 7, 1), D(2026, 8, 1)]


def _kind(i: int) -> str:
    """Client mix: 20 % copropriétés, 10 % private persons, 5 % public bodies."""
    slot = i % 20
    if slot < 4:
        return ClientKind.CONDOMINIUM
    if slot < 6:
        return ClientKind.PERSON
    if slot == 6:
        return ClientKind.PUBLIC
    return ClientKind.COMPANY


def _address(rng: random.Random) -> tuple[str, str, str]:
    postcode, city = rng.choice(CITIES)
    return f"{rng.randrange(1, 150)} {rng.choice(STREETS)}", postcode, city


def _client_row(i: int, kind: str, rng: random.Random, manager_id: int | None) -> dict[str, Any]:
    street, postcode, city = _address(rng)
    row: dict[str, Any] = {
        "code": f"RF{i:06d}",
        "kind": kind,
        "street": street,
        "postcode": postcode,
        "city": city,
        "payment_term_kind": "net",
        "payment_term_days": 30,
        "payment_means": "transfer",
        "sending_mode": "email",
        "email": f"facturation{i}@exemple.fr",
        "manager_id": manager_id,
        "account_code": f"411RF{i:06d}",
    }
    if kind in (ClientKind.COMPANY, ClientKind.PUBLIC, ClientKind.MANAGER):
        siren = make_siren(f"{(70_000_000 + i * 7) % 100_000_000:08d}")
        row.update(siren=siren, siret=make_siret(siren, 10), vat_number=fr_vat(siren))
    if kind == ClientKind.COMPANY:
        row.update(
            name=f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NAMES)} {i}",
            legal_form=rng.choice(["SARL", "SAS", "SA"]),
        )
    elif kind == ClientKind.PUBLIC:
        row.update(name=f"Commune — service technique {i}", legal_form="Collectivité")
    elif kind == ClientKind.PERSON:
        row.update(
            name=f"{rng.choice(FIRST)} {rng.choice(PERSONS)} {i}",
            payment_term_kind="on_receipt",
            payment_term_days=0,
            payment_means="cheque",
        )
    elif kind == ClientKind.MANAGER:
        row.update(name=f"Syndic Lyonnais {i}", legal_form="SAS")
    else:
        row.update(name=f"SDC Résidence {rng.choice(COMPANY_NAMES)} {i}")
    return row


def _lines(
    i: int, a: dict[str, Any], rng: random.Random, start: dt.date, *, reverse_charge: bool
) -> list[LineForm]:
    """≈3 lines; the pattern cycles so every periodicity and term appears.

    The one-off end-of-works cleaning is BTP subcontracting (reverse charge, CGI art. 283-2
    nonies) only for a client with a VAT number; the others get the same works at the
    ordinary rate (reverse charge is refused for a buyer without a VAT number).
    """

    def line(
        code: str, qty: str, freq: str, term: str, price: str | None = None, **kw: Any
    ) -> LineForm:
        art = a[code]
        return LineForm(
            description=art.label,
            quantity=Decimal(qty),
            unit_price=Decimal(price) if price is not None else art.unit_price,
            frequency=freq,
            term=term,
            article_id=art.id,
            **kw,
        )

    base = line(
        "NETCONT", "1", "monthly", "advance" if i % 2 else "arrears", str(rng.randrange(300, 3000))
    )
    extra = [
        line("VITRINT", str(rng.randrange(40, 300)), "quarterly", "arrears"),
        line("SORTPOUB", str(rng.randrange(8, 30)), "monthly", "advance"),
        line("VITREXT", str(rng.randrange(20, 120)), "bimonthly", "advance"),
        line("REMSOL", str(rng.randrange(80, 600)), "half_yearly", "arrears"),
        line("VITRNAC", "1", "yearly", "advance"),
        line("VITRINT", str(rng.randrange(40, 200)), "seasonal", "advance", months="3,6,9,12"),
        line("NETHEURE", str(rng.randrange(4, 20)), "monthly", "arrears"),
        line(
            "REMFIN" if reverse_charge else "REMSOL",
            str(rng.randrange(50, 400)),
            "one_off",
            "advance",
            one_off_date=start,
        ),
    ]
    k = i % len(extra)
    return [base, extra[k], extra[(k + 3) % len(extra)]]


def load(session: Session, ctx: Any) -> None:
    count = max(0, (ctx.contracts or 0) - BASE_COUNT)
    if not count:
        return
    if "articles" not in ctx.objects:  # no catalogue in this build: nothing to contract
        return
    rng: random.Random = ctx.rng
    # Syndics first (their ids are needed by the copropriétés).
    kinds = [_kind(i) for i in range(count)]
    n_syndics = max(1, kinds.count(ClientKind.CONDOMINIUM) // COPROS_PER_SYNDIC + 1)
    syndic_rows = [_client_row(count + s, ClientKind.MANAGER, rng, None) for s in range(n_syndics)]
    session.execute(insert(Client), syndic_rows)
    syndic_ids = list(
        session.scalars(select(Client.id).where(Client.code.in_([r["code"] for r in syndic_rows])))
    )
    rows = [
        _client_row(
            i,
            kind,
            rng,
            syndic_ids[i % len(syndic_ids)] if kind == ClientKind.CONDOMINIUM else None,
        )
        for i, kind in enumerate(kinds)
    ]
    session.execute(insert(Client), rows)
    ids = dict(session.execute(select(Client.code, Client.id).where(Client.code.like("RF%"))).all())
    audit.record_rows(
        session,
        [
            audit.event_row(
                "client",
                ids[r["code"]],
                "create",
                f"Client {r['code']} — {r['name']} créé (fichier de référence)",
                user_id=None,
                client_id=ids[r["code"]],
            )
            for r in syndic_rows + rows
        ],
    )
    session.execute(
        insert(Site),
        [
            {
                "code": f"{r['code']}-S1",
                "name": f"Site {r['name']}",
                "client_id": ids[r["code"]],
                "street": r["street"],
                "postcode": r["postcode"],
                "city": r["city"],
                "surfaces": json.dumps({"Bureaux": str(rng.randrange(50, 2000))}),
            }
            for r in rows
        ],
    )
    ctx["scale_client_ids"] = set(ids.values())
    site_ids = dict(
        session.execute(select(Site.client_id, Site.id).where(Site.code.like("RF%"))).all()
    )
    _contracts(session, ctx, rows, ids, site_ids)


def _contracts(
    session: Session,
    ctx: Any,
    rows: list[dict[str, Any]],
    ids: dict[str, int],
    site_ids: dict[int, int],
) -> None:
    """Active contracts, bulk-inserted: what ``create_contract`` + ``activate`` would write.

    Lines are validated by the contract module's own rules; numbers come from the contract
    series register in one call (taken over on :data:`TAKEN_OVER`, the series is chronological);
    the audit trail holds the creation and the activation of each contract.
    """
    articles, rng = ctx["articles"], ctx.rng
    headers, specs = [], []
    for i, r in enumerate(rows):
        start = STARTS[i % len(STARTS)]
        client_id = ids[r["code"]]
        form = ContractForm(
            client_id=client_id,
            site_id=site_ids[client_id],
            start_date=start,
            title=f"Entretien — {r['name']}",
            prorata=Prorata.DAYS,
        )
        lines = _lines(i, articles, rng, start, reverse_charge=bool(r.get("vat_number")))
        specs.append([_line_values(session, line, n) for n, line in enumerate(lines, 1)])
        headers.append(
            {**_header_values(form), "code": f"~RF{i:06d}", "status": ContractStatus.ACTIVE}
        )
    session.execute(insert(Contract), headers)
    contract_ids = list(
        session.scalars(select(Contract.id).where(Contract.code.like("~RF%")).order_by(Contract.id))
    )
    numbers = next_numbers(session, "contract", TAKEN_OVER, contract_ids, doc_type="contract")
    session.execute(
        update(Contract),
        [{"id": cid, "code": n.text} for cid, n in zip(contract_ids, numbers, strict=True)],
    )
    session.execute(
        insert(ContractLine),
        [
            {"contract_id": cid, "position": n, "site_id": None}
            for cid, values in zip(contract_ids, specs, strict=True)
            for n in range(1, len(values) + 1)
        ],
    )
    line_ids = session.execute(
        select(ContractLine.contract_id, ContractLine.position, ContractLine.id).where(
            ContractLine.contract_id >= contract_ids[0]
        )
    ).all()
    by_key = {(c, p): lid for c, p, lid in line_ids}
    session.execute(
        insert(ContractLineVersion),
        [
            {**values, "line_id": by_key[(cid, n)], "valid_from": header["start_date"]}
            for cid, header, lines in zip(contract_ids, headers, specs, strict=True)
            for n, values in enumerate(lines, 1)
        ],
    )
    labels = ContractStatus.LABELS
    activated = {"status": (labels[ContractStatus.DRAFT], labels[ContractStatus.ACTIVE])}
    events = []
    for cid, header, n in zip(contract_ids, headers, numbers, strict=True):
        payer = cast(int, header["client_id"])
        events.append(
            audit.event_row(
                "contract",
                cid,
                "create",
                f"Contrat {n.text} créé (3 ligne(s))",
                user_id=None,
                client_id=payer,
            )
        )
        events.append(
            audit.event_row(
                "contract",
                cid,
                ContractStatus.ACTIVE,
                f"Contrat {n.text} activé",
                user_id=None,
                client_id=payer,
                changes=activated,
            )
        )
    audit.record_rows(session, events)
    session.flush()
