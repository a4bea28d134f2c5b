"""``propreo pa sync``: fetch the platform's answers and send « Encaissée ».

1. flows deposited without a recorded answer (crash, timeout) are searched by tracking id;
2. the acknowledgement of every flow not yet settled is read (``GET /flows/{id}``);
3. incoming flows updated since the last synchronisation are read: life-cycle messages
   (``CustomerInvoiceLC``) become statuses of our invoices, supplier invoices
   (``SupplierInvoice``) are listed as received;
4. Chorus Pro deposits get their deposit report, then the invoice's processing statuses
   (mise à disposition, suspendue, mandatée, mise en paiement…) as life-cycle statuses;
5. a service invoice sent through the platform and now fully paid gets the « Encaissée »
   status (code 212) sent with the amount and date of payment — unless the firm opted for
   VAT on debits (then the VAT is due at invoicing and no payment status is due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.db import Database
from app.einvoicing import cdar, cii, connector, outgoing
from app.einvoicing.states import FLOW_WORKFLOW, move
from app.errors import PropreoError
from app.lookup import get_row
from app.receivables import allocated_by_invoice, open_amount
from models.company import CompanySettings
from models.einvoicing import (
    FlowKind,
    FlowState,
    InvoiceLifecycle,
    LifecycleCode,
    PlatformFlow,
    ReceivedInvoice,
)
from models.invoices import Invoice, InvoiceLine
from models.payments import Allocation, Payment, PaymentStatus

SETTLED = (FlowState.ACCEPTED, FlowState.ERROR)
CHORUS_STATES = {"IN_INTEGRE": LifecycleCode.MADE_AVAILABLE, "IN_REJETE": LifecycleCode.REJECTED}


@dataclass
class SyncReport:
    statuses: list[tuple[str, str, str]] = field(default_factory=list)  # number, code, reason
    received: list[str] = field(default_factory=list)
    cashed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _now() -> dt.datetime:
    from app import clock

    return clock.now().replace(microsecond=0)


def sync(
    database: Database,
    platform: connector.Session,
    chorus: Callable[[], connector.ChorusSession] | None = None,
) -> SyncReport:
    report = SyncReport()
    _adopt_unanswered(database, platform)
    _read_acknowledgements(database, platform, report)
    _read_incoming(database, platform, report)
    if chorus is not None:
        _read_chorus(database, chorus, report)
    _send_cashed(database, platform, report)
    return report


def apply_flows(
    database: Database, platform: connector.Session, flows: list[dict[str, Any]]
) -> SyncReport:
    """Store the incoming flows a webhook announced (``flowInfo`` of each callback): the
    same reading as a synchronisation, without waiting for the next one. Reading a flow
    twice stores nothing twice, so a flow both announced and found by polling is harmless."""
    report = SyncReport()
    for flow in flows:
        if flow.get("flowDirection", "In") != "In":
            continue
        try:
            if flow.get("flowType") == "SupplierInvoice":
                _receive(database, platform, flow, report)
            elif flow.get("flowType") == "CustomerInvoiceLC":
                _status(database, platform, flow, report)
        except (cdar.CdarError, cii.CiiError) as exc:
            report.errors.append(f"flux {flow.get('flowId')} illisible : {exc}")
    return report


def _adopt_unanswered(database: Database, platform: connector.Session) -> None:
    with database.read() as session:
        pending = session.execute(
            select(PlatformFlow.id, PlatformFlow.tracking_id).where(
                PlatformFlow.flow_id == "", PlatformFlow.kind != FlowKind.CHORUS
            )
        ).all()
    for row_id, tracking in pending:
        found = platform.search({"trackingId": tracking, "flowDirection": ["Out"]}, limit=5)
        if found:
            outgoing.record_answer(database, row_id, found[0])


def _read_acknowledgements(
    database: Database, platform: connector.Session, report: SyncReport
) -> None:
    with database.read() as session:
        open_flows = session.execute(
            select(PlatformFlow.id, PlatformFlow.flow_id).where(
                PlatformFlow.flow_id != "",
                PlatformFlow.kind != FlowKind.CHORUS,
                PlatformFlow.state.not_in(SETTLED),
            )
        ).all()
    for row_id, flow_id in open_flows:
        row = outgoing.record_answer(database, row_id, platform.flow(flow_id))
        if row.state == FlowState.ERROR and row.kind == FlowKind.INVOICE:
            outgoing._flag_rejected(database, row)
            report.statuses.append((row.file_name, LifecycleCode.REJECTED, row.reason))


def _read_incoming(database: Database, platform: connector.Session, report: SyncReport) -> None:
    from app.einvoicing.settings import read_settings

    with database.read() as session:
        since = read_settings(session).synced_until
    where: dict[str, Any] = {
        "flowDirection": ["In"],
        "flowType": ["CustomerInvoiceLC", "SupplierInvoice"],
    }
    if since:
        where["updatedAfter"] = since
    latest = since
    while True:
        flows = platform.search(where, limit=100)
        for flow in flows:
            try:
                if flow["flowType"] == "SupplierInvoice":
                    _receive(database, platform, flow, report)
                else:
                    _status(database, platform, flow, report)
            except (cdar.CdarError, cii.CiiError) as exc:
                report.errors.append(f"flux {flow.get('flowId')} illisible : {exc}")
            latest = max(latest, str(flow.get("updatedAt", "")))
        if len(flows) < 100:
            break
        where["updatedAfter"] = latest
    if latest != since:
        with database.write() as session:
            from app.einvoicing.settings import get_settings

            get_settings(session).synced_until = latest


def _status(
    database: Database, platform: connector.Session, flow: dict[str, Any], report: SyncReport
) -> None:
    status = cdar.parse(platform.original(str(flow["flowId"])))
    with database.write() as session:
        invoice_id = session.scalar(
            select(Invoice.id).where(Invoice.number == status.invoice_number)
        )
        if invoice_id is None:
            report.errors.append(f"statut reçu pour une facture inconnue : {status.invoice_number}")
            return
        exists = session.scalar(
            select(InvoiceLifecycle.id).where(
                InvoiceLifecycle.invoice_id == invoice_id,
                InvoiceLifecycle.code == status.code,
                InvoiceLifecycle.at == status.at,
            )
        )
        if exists is not None:
            return
        session.add(
            InvoiceLifecycle(
                invoice_id=invoice_id,
                code=status.code,
                at=status.at,
                reason=status.reason,
                amount=status.amount or Decimal("0.00"),
                flow_id=str(flow["flowId"]),
            )
        )
    report.statuses.append((status.invoice_number, status.code, status.reason))


def _receive(
    database: Database, platform: connector.Session, flow: dict[str, Any], report: SyncReport
) -> None:
    flow_id = str(flow["flowId"])
    with database.read() as session:
        if session.scalar(select(ReceivedInvoice.id).where(ReceivedInvoice.flow_id == flow_id)):
            return
    data = platform.original(flow_id)
    if data[:4] == b"%PDF":
        from reports.facturx import extract_xml

        xml = extract_xml(data)
    else:
        xml = data
    invoice = cii.read(xml)
    with database.write() as session:
        session.add(
            ReceivedInvoice(
                flow_id=flow_id,
                seller_name=invoice.seller_name,
                seller_siren=invoice.seller_siren,
                number=invoice.number,
                issue_date=invoice.issue_date,
                total_ht=invoice.total_ht,
                total_ttc=invoice.total_ttc,
                file_name=str(flow.get("name", "")),
                document=data,
            )
        )
    report.received.append(f"{invoice.seller_name} {invoice.number}")


def _read_chorus(
    database: Database, chorus: Callable[[], connector.ChorusSession], report: SyncReport
) -> None:
    """The deposit report of each new Chorus Pro deposit (``consulterCR``), then the
    processing statuses of the invoices integrated and not yet paid, rejected or to be
    recycled (``rechercher/fournisseur`` then ``consulter/historique``)."""
    with database.read() as session:
        rows = session.execute(
            select(PlatformFlow.id, PlatformFlow.flow_id, PlatformFlow.state, Invoice.number)
            .join(Invoice, Invoice.id == PlatformFlow.invoice_id)
            .where(
                PlatformFlow.kind == FlowKind.CHORUS,
                PlatformFlow.flow_id != "",
                PlatformFlow.state != FlowState.ERROR,
            )
        ).all()
        done = set(
            session.scalars(
                select(InvoiceLifecycle.flow_id).where(
                    InvoiceLifecycle.source == "chorus",
                    InvoiceLifecycle.code.in_(
                        {connector.CHORUS_STATUSES[c][0] for c in connector.CHORUS_FINAL}
                    ),
                )
            )
        )
    rows = [r for r in rows if r.flow_id not in done]
    if not rows:
        return
    cpro = chorus()
    for row_id, deposit_number, state, number in rows:
        if state != FlowState.ACCEPTED and not _chorus_report(database, cpro, row_id, report):
            continue
        found = cpro.invoice(str(number))
        if found.get("identifiantFactureCPP") is None:
            continue
        for code, at, comment in cpro.history(int(found["identifiantFactureCPP"])):
            _chorus_status(database, row_id, deposit_number, code, at, comment, report)


def _chorus_report(
    database: Database, cpro: connector.ChorusSession, row_id: int, report: SyncReport
) -> bool:
    """Read the deposit report; True when the invoice was integrated by Chorus Pro."""
    with database.read() as session:
        row = get_row(session, PlatformFlow, row_id, "Flux")
        deposit_number, invoice_id, name = row.flow_id, row.invoice_id, row.file_name
    state, reason = cpro.report(deposit_number)
    if state not in CHORUS_STATES:
        return False
    rejected = CHORUS_STATES[state] == LifecycleCode.REJECTED
    with database.write() as session:
        row = get_row(session, PlatformFlow, row_id, "Flux")
        move(FLOW_WORKFLOW, row, FlowState.ERROR if rejected else FlowState.ACCEPTED, ref=name)
        row.reason = reason
        if rejected:
            session.add(
                InvoiceLifecycle(
                    invoice_id=invoice_id,
                    code=LifecycleCode.REJECTED,
                    at=_now(),
                    reason=reason,
                    source="chorus",
                    flow_id=deposit_number,
                )
            )
            number = session.scalar(select(Invoice.number).where(Invoice.id == invoice_id))
            report.statuses.append((str(number), LifecycleCode.REJECTED, reason))
    return not rejected


def _chorus_status(
    database: Database,
    row_id: int,
    deposit_number: str,
    status: str,
    at_text: str,
    comment: str,
    report: SyncReport,
) -> None:
    """Store one Chorus Pro processing status as the life-cycle status it means (once)."""
    if status not in connector.CHORUS_STATUSES:
        report.errors.append(f"statut Chorus Pro inconnu « {status} » (flux {deposit_number})")
        return
    code, label = connector.CHORUS_STATUSES[status]
    at = dt.datetime.fromisoformat(at_text.replace("Z", "+00:00"))
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    reason = f"Chorus Pro : {label}" + (f" — {comment}" if comment else "")
    with database.write() as session:
        invoice_id = get_row(session, PlatformFlow, row_id, "Flux").invoice_id
        exists = session.scalar(
            select(InvoiceLifecycle.id).where(
                InvoiceLifecycle.invoice_id == invoice_id,
                InvoiceLifecycle.code == code,
                InvoiceLifecycle.at == at,
            )
        )
        if exists is not None:
            return
        session.add(
            InvoiceLifecycle(
                invoice_id=invoice_id,
                code=code,
                at=at,
                reason=reason,
                source="chorus",
                flow_id=deposit_number,
            )
        )
        number = session.scalar(select(Invoice.number).where(Invoice.id == invoice_id))
    report.statuses.append((str(number), code, reason))


# --- « Encaissée » ------------------------------------------------------------------------
def cashed_candidates(database: Database) -> list[tuple[int, str, dt.date, str, Decimal, dt.date]]:
    """(invoice id, number, issue date, seller SIREN, amount paid, last payment date) of the
    service invoices accepted by the platform, fully paid, without « Encaissée » sent."""
    with database.read() as session:
        company = session.get(CompanySettings, 1)
        if company is None or company.vat_on_debits:
            return []
        sent = select(InvoiceLifecycle.invoice_id).where(
            InvoiceLifecycle.code == LifecycleCode.CASHED, InvoiceLifecycle.source == "seller"
        )
        services = select(InvoiceLine.invoice_id).where(InvoiceLine.goods.is_(False))
        rows = (
            session.execute(
                select(Invoice)
                .join(PlatformFlow, PlatformFlow.invoice_id == Invoice.id)
                .where(
                    PlatformFlow.kind == FlowKind.INVOICE,
                    PlatformFlow.state == FlowState.ACCEPTED,
                    Invoice.id.not_in(sent),
                    Invoice.id.in_(services),
                )
            )
            .scalars()
            .all()
        )
        out = []
        paid_by = allocated_by_invoice(session, [i.id for i in rows])
        for invoice in rows:
            last = session.scalar(
                select(func.max(Payment.date))
                .join(Allocation, Allocation.payment_id == Payment.id)
                .where(Allocation.invoice_id == invoice.id, Payment.status == PaymentStatus.ACTIVE)
            )
            paid = paid_by.get(invoice.id, Decimal("0.00"))
            if last is not None and invoice.amount_due > 0 and open_amount(session, invoice) <= 0:
                out.append(
                    (
                        invoice.id,
                        invoice.number or "",
                        invoice.issue_date,
                        company.siren,
                        paid,
                        last,
                    )
                )
        return out


def _send_cashed(database: Database, platform: connector.Session, report: SyncReport) -> None:
    for invoice_id, number, issued, siren, amount, day in cashed_candidates(database):
        at = dt.datetime.combine(day, dt.time(12, 0), tzinfo=dt.UTC)
        status = cdar.Status(number, issued, siren, LifecycleCode.CASHED, at, "", amount)
        data = cdar.build(status)
        name = f"CDAR_{number}_212.xml"

        def submit(tracking: str, data: bytes = data, name: str = name) -> dict[str, Any]:
            return platform.submit(data, name=name, syntax="CDAR", tracking_id=tracking)

        try:
            row = outgoing.deposit(
                database,
                submit,
                outgoing._platform_find(platform),
                kind=FlowKind.STATUS,
                tracking=outgoing.tracking_id("ENC.", number, data),
                data=data,
                name=name,
                invoice_id=invoice_id,
                keep_content=True,
            )
        except PropreoError as exc:
            report.errors.append(f"{number} : « Encaissée » non envoyé ({exc})")
            continue
        with database.write() as session:
            session.add(
                InvoiceLifecycle(
                    invoice_id=invoice_id,
                    code=LifecycleCode.CASHED,
                    at=at,
                    source="seller",
                    amount=amount,
                    flow_id=row.flow_id,
                )
            )
        report.cashed.append(number)
