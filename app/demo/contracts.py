"""Demo step: maintenance contracts of the demo firm (every periodicity and term).

About 25 contracts starting between January 2025 and October 2026 on the demo clients:
a three-line contract (monthly in arrears + quarterly in advance + seasonal windows),
the syndics' copropriétés, a multi-site contract billed per site, a 1/12 annual budget,
an amendment (one retroactive), a summer suspension, an ended contract. Dated events
(amendments, suspension, termination) are queued in ``ctx["contract_events"]`` and
applied by ``app.demo.billing_history`` at their date, between the monthly runs.
``--contracts N`` volume is added by :mod:`app.demo.scale`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.billing.contracts import (
    ContractForm,
    LineForm,
    activate,
    add_amendment,
    create_contract,
    mark_ended,
    resume,
    suspend,
    terminate,
)
from models.contracts import Contract

D = dt.date
BASE_COUNT = 25


def _line(
    article: Any,
    quantity: str,
    frequency: str = "monthly",
    term: str = "advance",
    *,
    price: str | None = None,
    **kw: Any,
) -> LineForm:
    return LineForm(
        description=article.label,
        quantity=Decimal(quantity),
        unit_price=Decimal(price) if price is not None else article.unit_price,
        frequency=frequency,
        term=term,
        article_id=article.id,
        **kw,
    )


def _specs(ctx: Any) -> list[tuple[str, dict[str, Any], list[LineForm]]]:
    """(client key, header, lines) of the base contracts."""
    a = ctx["articles"]
    sites = ctx["site_keys"]

    def site(key: str) -> int | None:
        s = sites.get(key)
        return s.id if s is not None else None

    specs: list[tuple[str, dict[str, Any], list[LineForm]]] = [
        (
            "OFF1",
            {
                "start_date": D(2025, 3, 17),
                "title": "Entretien des bureaux, sols et vitrerie",
                "reference": "Marché 2025-ARN",
            },
            [
                _line(a["NETCONT"], "1", "monthly", "arrears", price="1250"),
                _line(a["REMSOL"], "240", "quarterly", "advance"),
                _line(a["VITRINT"], "180", "seasonal", "advance", months="3,6,9,12"),
            ],
        ),
        (
            "OFF3",
            {
                "start_date": D(2025, 6, 1),
                "title": "Entretien quotidien des bureaux",
                "purchase_order": "BC-2025-118",
            },
            [_line(a["NETCONT"], "1", price="780"), _line(a["SORTPOUB"], "22")],
        ),
        (
            "SHOP",
            {"start_date": D(2025, 9, 15), "title": "Magasin et laboratoire"},
            [_line(a["NETCONT"], "1", price="420"), _line(a["VITREXT"], "40", "bimonthly")],
        ),
        (
            "SHP2",
            {"start_date": D(2026, 2, 1), "title": "Entretien de la boutique"},
            [_line(a["NETHEURE"], "12", "monthly", "arrears")],
        ),
        (
            "CLIN",
            {"start_date": D(2025, 1, 1), "title": "Forfait annuel clinique (1/12e)"},
            [
                LineForm(
                    "Forfait annuel d'entretien — douzième",
                    Decimal(1),
                    Decimal(0),
                    article_id=a["NETCONT"].id,
                    annual_budget=Decimal("18000"),
                )
            ],
        ),
        (
            "SCHO",
            {"start_date": D(2025, 1, 6), "title": "Entretien de l'école", "prorata": "month30"},
            [
                _line(a["NETCONT"], "1", price="2300"),
                _line(a["REMSOL"], "520", "half_yearly", "arrears"),
            ],
        ),
        (
            "GARA",
            {"start_date": D(2025, 4, 1), "title": "Vitrerie annuelle du hall d'exposition"},
            [_line(a["VITRNAC"], "1", "yearly", "advance")],
        ),
        (
            "HOTL",
            {"start_date": D(2025, 2, 1), "title": "Entretien des parties communes de l'hôtel"},
            [
                _line(a["NETCONT"], "1", price="2100"),
                _line(a["MULTENC"], "1", "one_off", one_off_date=D(2026, 11, 16)),
            ],
        ),
        (
            "BATI",
            {
                "start_date": D(2025, 5, 1),
                "title": "Nettoyage de fin de chantier — Villeurbanne",
                "tacit_renewal": False,
            },
            [
                _line(a["REMFIN"], "850", "one_off", one_off_date=D(2025, 5, 20)),
                _line(a["NETCONT"], "1", price="650"),
            ],
        ),
        (
            "PHAR",
            {
                "start_date": D(2025, 1, 1),
                "title": "Salles propres et bureaux",
                "purchase_order": "PO-DERMA-7781",
            },
            [_line(a["NETCONT"], "3", "quarterly", "arrears", price="1850")],
        ),
        (
            "GYMN",
            {"start_date": D(2026, 10, 1), "title": "Salle de sport — démarrage en octobre"},
            [_line(a["NETCONT"], "1", price="940"), _line(a["VITRINT"], "60", "quarterly")],
        ),
        (
            "MAIRIE",
            {
                "start_date": D(2025, 1, 1),
                "title": "Hôtel de ville",
                "reference": "Marché public 2024-17",
            },
            [
                _line(a["NETCONT"], "1", price="2400"),
                _line(a["VITRNAC"], "1", "seasonal", months="7"),
            ],
        ),
        (
            "PART1",
            {"start_date": D(2025, 10, 1), "title": "Ménage à domicile"},
            [_line(a["SAPMEN"], "8", "monthly", "arrears")],
        ),
        (
            "PART2",
            {"start_date": D(2026, 1, 12), "title": "Ménage à domicile"},
            [_line(a["SAPMEN"], "6", "monthly", "arrears")],
        ),
        (
            "PART3",
            {"start_date": D(2026, 4, 1), "title": "Ménage à domicile"},
            [_line(a["SAPMEN"], "4", "monthly", "arrears")],
        ),
    ]
    # The syndics' copropriétés: one contract each, invoiced to the copropriété c/o its syndic.
    for n, key in enumerate(["REGIE1", "REGIE2", "REGIE3", "REGIE4", "SYND1", "SYND2", "SYND3"]):
        specs.append(
            (
                key,
                {
                    "start_date": D(2025, 1 + n, 1),
                    "title": "Entretien des parties communes",
                    "site_id": site(key),
                },
                [_line(a["NETPARTC"], str(8 + n % 3)), _line(a["SORTPOUB"], "13")],
            )
        )
    # A multi-site client billed per site.
    off2_sites = [s for k, s in sites.items() if k.startswith("OFF2")] or []
    if len(off2_sites) >= 2:
        specs.append(
            (
                "OFF2",
                {
                    "start_date": D(2025, 1, 1),
                    "title": "Plateaux Part-Dieu et annexe",
                    "grouping": "site",
                    "site_id": off2_sites[0].id,
                    "other_site_ids": [off2_sites[1].id],
                },
                [
                    _line(a["NETCONT"], "1", price="1650", site_id=off2_sites[0].id),
                    _line(a["NETCONT"], "1", price="540", site_id=off2_sites[1].id),
                ],
            )
        )
    return specs


def load(session: Session, ctx: Any) -> None:
    try:
        clients = ctx["client_keys"]
        articles = ctx["articles"]
    except KeyError:  # master data not in this build: nothing to contract
        return
    del articles
    created: dict[str, Contract] = {}
    events: list[tuple[dt.date, Callable[[Session], object]]] = []
    specs = [s for s in _specs(ctx) if s[0] in clients]
    specs.sort(key=lambda s: s[1]["start_date"])
    for key, header, lines in specs:
        client = clients[key]
        header = dict(header)
        header.setdefault("site_id", _first_site(ctx, key))
        form = ContractForm(client_id=client.id, **header)
        signed: dt.date = header["start_date"] - dt.timedelta(days=14)
        contract = create_contract(session, form, lines, today=signed)
        activate(session, contract.id)
        created[key] = contract
    _queue_events(created, events)
    # ``--contracts N`` volume comes from app.demo.scale (one client and site per contract).
    ctx["billing_contracts"] = created
    ctx["contract_events"] = events
    session.flush()


def _first_site(ctx: Any, key: str) -> int | None:
    site = ctx["site_keys"].get(key) or next(
        (s for k, s in ctx["site_keys"].items() if k.startswith(key)), None
    )
    return site.id if site is not None else None


def _queue_events(
    created: dict[str, Contract], events: list[tuple[dt.date, Callable[[Session], object]]]
) -> None:
    def amend(
        key: str, signed: dt.date, effective: dt.date, text: str, price: str, line: int = 0
    ) -> None:
        contract = created.get(key)
        if contract is None:
            return
        cl = contract.lines[line]
        v = cl.versions[-1]
        change = LineForm(
            description=v.description,
            quantity=v.quantity,
            unit_price=Decimal(price),
            frequency=v.frequency,
            term=v.term,
            article_id=v.article_id,
            months=v.months,
            line_id=cl.id,
        )
        events.append(
            (
                signed,
                lambda s: add_amendment(
                    s,
                    contract.id,
                    signed_date=signed,
                    effective_date=effective,
                    description=text,
                    changes=[change],
                ),
            )
        )

    # Price revision signed before it takes effect, and one signed late (retroactive).
    amend("OFF3", D(2025, 12, 15), D(2026, 1, 1), "Avenant n° 1 : révision annuelle du prix", "810")
    amend(
        "PHAR", D(2026, 5, 20), D(2026, 4, 1), "Avenant n° 1 : extension des salles propres", "1960"
    )
    if "SCHO" in created:
        school = created["SCHO"]
        events.append(
            (
                D(2026, 6, 20),
                lambda s: suspend(
                    s,
                    school.id,
                    D(2026, 7, 1),
                    D(2026, 8, 31),
                    reason="Fermeture estivale de l'école",
                ),
            )
        )
        events.append((D(2026, 8, 31), lambda s: resume(s, school.id, D(2026, 9, 1))))
    if "BATI" in created:
        bati = created["BATI"]
        events.append(
            (
                D(2025, 8, 20),
                lambda s: terminate(
                    s, bati.id, D(2025, 8, 20), D(2025, 12, 31), reason="Fin du chantier"
                ),
            )
        )
        events.append((D(2026, 1, 5), lambda s: mark_ended(s, bati.id, D(2026, 1, 5))))
    events.sort(key=lambda e: e[0])
