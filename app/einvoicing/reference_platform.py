"""The reference platform's state (``propreo pa serve``, :mod:`app.einvoicing.server` routes
its HTTP requests here): the flows it holds, its tokens and webhooks, the Chorus Pro
deposits, the scenario that scripts the life cycles, and the checks of what it receives —
the Factur-X (embedded XML: XSD, EN 16931 and BR-FR schematrons), directory routing, the
life-cycle messages and the e-reporting files against their schemas. Each accepted invoice
gets the statuses its scenario lists, published as incoming ``CustomerInvoiceLC`` flows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.einvoicing import cdar, cii, ereporting_schema
from reports.facturx import extract_xml

DEFAULT_CLIENT = ("propreo-demo", "demo-secret")
DEFAULT_CHORUS_ACCOUNT = ("TECH_PROPREO@cpro.fr", "chorus-demo")
DEFAULT_LIFECYCLE = ["202", "203", "205"]
DEFAULT_CHORUS_LIFECYCLE = ["MISE_A_DISPOSITION"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat() + "Z"


@dataclass
class Flow:
    flow_id: str
    tracking_id: str
    name: str
    syntax: str
    profile: str
    rule: str
    rule_source: str
    flow_type: str
    direction: str
    submitted: dt.datetime
    updated: dt.datetime
    original: bytes
    sha256: str
    ack: str = "Pending"
    details: list[dict[str, str]] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "flowId": self.flow_id,
            "submittedAt": iso(self.submitted),
            "updatedAt": iso(self.updated),
            "name": self.name,
            "flowSyntax": self.syntax,
            "processingRule": self.rule,
            "processingRuleSource": self.rule_source,
            "flowType": self.flow_type,
            "flowDirection": self.direction,
            "sha256": self.sha256,
            "acknowledgement": {"status": self.ack},
        }
        if self.tracking_id:
            body["trackingId"] = self.tracking_id
        if self.profile:
            body["flowProfile"] = self.profile
        if self.details:
            body["acknowledgement"]["details"] = self.details
        return body


@dataclass
class Scenario:
    unknown_sirens: set[str] = field(default_factory=set)
    lifecycle: dict[str, list[str]] = field(default_factory=dict)
    default_lifecycle: list[str] = field(default_factory=lambda: list(DEFAULT_LIFECYCLE))
    ack_delay: float = 0.0
    ack_delay_count: int = 0  # how many deposits are held (0: every one)
    inbox: list[str] = field(default_factory=list)
    chorus_reject: set[str] = field(default_factory=set)
    webhooks: bool = True  # False: a platform without the webhook endpoints (404)
    # Processing statuses an integrated Chorus Pro invoice goes through after « DEPOSEE »
    # (« MANDATEE », « SUSPENDUE:motif »…), per invoice number.
    chorus_lifecycle: dict[str, list[str]] = field(default_factory=dict)
    default_chorus_lifecycle: list[str] = field(
        default_factory=lambda: list(DEFAULT_CHORUS_LIFECYCLE)
    )

    @classmethod
    def load(cls, path: Path | None) -> Scenario:
        if path is None:  # the demo: one supplier invoice waiting in the inbox
            from app.resources import resource_path

            return cls(inbox=[str(resource_path("einvoicing", "facture-fournisseur-demo.pdf"))])
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            unknown_sirens=set(raw.get("unknown_sirens", [])),
            lifecycle={k: list(v) for k, v in raw.get("lifecycle", {}).items()},
            default_lifecycle=list(raw.get("default_lifecycle", DEFAULT_LIFECYCLE)),
            ack_delay=float(raw.get("ack_delay", 0)),
            ack_delay_count=int(raw.get("ack_delay_count", 0)),
            inbox=[str(path.parent / p) for p in raw.get("inbox", [])],
            chorus_reject=set(raw.get("chorus_reject", [])),
            webhooks=bool(raw.get("webhooks", True)),
            chorus_lifecycle={k: list(v) for k, v in raw.get("chorus_lifecycle", {}).items()},
            default_chorus_lifecycle=list(
                raw.get("default_chorus_lifecycle", DEFAULT_CHORUS_LIFECYCLE)
            ),
        )


class Platform:
    """The platform's state: flows, tokens, directory, Chorus Pro deposits."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.lock = threading.RLock()
        self.flows: dict[str, Flow] = {}
        self.tokens: set[str] = set()
        self.chorus: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.held = 0
        self.supplier_numbers: set[str] = set()
        self.webhooks: dict[str, dict[str, Any]] = {}
        # Callbacks leave one at a time, in the order the flows were published.
        self.deliveries: queue.Queue[tuple[str, dict[str, str], bytes]] = queue.Queue()
        threading.Thread(target=self._deliver, daemon=True).start()
        for path in scenario.inbox:
            self.deliver_supplier_invoice(Path(path).read_bytes(), Path(path).name)

    def hold_answer(self) -> bool:
        """Whether this deposit's answer is held ``ack_delay`` seconds (scenario)."""
        with self.lock:
            self.held += 1
            limit = self.scenario.ack_delay_count
            return bool(self.scenario.ack_delay) and (limit == 0 or self.held <= limit)

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def add(self, flow: Flow) -> Flow:
        with self.lock:
            self.flows[flow.flow_id] = flow
            hooks = list(self.webhooks.values())
        if flow.direction == "In":
            for hook in hooks:
                if self._matches(hook["metadata"], flow):
                    callback = hook["callback"]
                    headers = {h["name"]: h["value"] for h in callback.get("headers", [])}
                    body = json.dumps({"flowInfo": flow.info()}).encode()
                    self.deliveries.put((callback["url"], headers, body))
        return flow

    @staticmethod
    def _matches(metadata: dict[str, Any], flow: Flow) -> bool:
        return (
            metadata["flowType"] == flow.flow_type
            and metadata["flowDirection"] == flow.direction
            and metadata.get("processingRule", flow.rule) == flow.rule
            and metadata.get("ackStatus", flow.ack) == flow.ack
        )

    def _deliver(self) -> None:
        """POST each ``WebhookCallbackContent``; a callback that fails is tried three
        times, then dropped (the client finds the flow by searching)."""
        import requests

        while True:
            url, headers, body = self.deliveries.get()
            for _attempt in range(3):
                try:
                    answer = requests.post(
                        url,
                        data=body,
                        headers={**headers, "Content-Type": "application/json"},
                        timeout=10,
                    )
                    if answer.status_code < 300:
                        break
                except requests.RequestException:
                    pass
                time.sleep(1)

    def _incoming(
        self, prefix: str, name: str, syntax: str, profile: str, flow_type: str, data: bytes
    ) -> Flow:
        """A flow the platform publishes to the firm (received, acknowledged at once)."""
        now = utc_now()
        digest = hashlib.sha256(data).hexdigest()
        return self.add(
            Flow(
                flow_id=self.next_id(prefix),
                tracking_id="",
                name=name,
                syntax=syntax,
                profile=profile,
                rule="B2B",
                rule_source="Computed",
                flow_type=flow_type,
                direction="In",
                submitted=now,
                updated=now,
                original=data,
                sha256=digest,
                ack="Ok",
            )
        )

    def deliver_supplier_invoice(self, data: bytes, name: str) -> Flow:
        syntax = "Factur-X" if data[:4] == b"%PDF" else "CII"
        self.supplier_numbers.add(
            cii.read(extract_xml(data) if syntax == "Factur-X" else data).number
        )
        return self._incoming("IN", name, syntax, "CIUS", "SupplierInvoice", data)

    def publish_status(self, invoice: cii.CiiInvoice, step: str) -> None:
        code, _, reason = step.partition(":")
        status = cdar.Status(
            invoice.number, invoice.issue_date, invoice.seller_siren, code, utc_now(), reason
        )
        name = f"CDAR_{invoice.number}_{code}.xml"
        self._incoming("LC", name, "CDAR", "", "CustomerInvoiceLC", cdar.build(status))

    # --- checks of what is received -------------------------------------------------
    def check_invoice(self, flow: Flow) -> None:
        """Factur-X checks, directory routing, then the scripted life cycle."""
        from reports.validation import describe, validate_xml

        try:
            xml = extract_xml(flow.original) if flow.syntax == "Factur-X" else flow.original
            invoice = cii.read(xml)
        except Exception as exc:
            self.reject(flow, "FILE", f"Fichier illisible : {exc}")
            return
        fatal = [f for f in validate_xml(xml) if f.fatal]
        if fatal:
            self.reject(flow, "SCHEMATRON", describe(fatal[0]))
            self.publish_status(invoice, f"213:{describe(fatal[0])}")
            return
        if invoice.buyer_siren in self.scenario.unknown_sirens or not invoice.buyer_siren:
            reason = "Destinataire absent de l'annuaire"
            self.reject(flow, "ROUTING", reason)
            self.publish_status(invoice, f"213:{reason}")
            return
        flow.ack, flow.updated = "Ok", utc_now()
        self.publish_status(invoice, "200")
        steps = self.scenario.lifecycle.get(invoice.number, self.scenario.default_lifecycle)
        for step in steps:
            self.publish_status(invoice, step)

    def reject(self, flow: Flow, code: str, message: str) -> None:
        flow.ack, flow.updated = "Error", utc_now()
        flow.details = [
            {"level": "Error", "item": flow.name, "reasonCode": code, "reasonMessage": message}
        ]

    def check_other(self, flow: Flow) -> None:
        try:
            if flow.syntax == "CDAR":
                status = cdar.parse(flow.original)
                ours = status.invoice_number in self.supplier_numbers  # we are the buyer
                flow.flow_type = "SupplierInvoiceLC" if ours else "CustomerInvoiceLC"
            elif flow.syntax == "FRR":
                flow.flow_type = ereporting_schema.check(flow.original)
            flow.ack, flow.updated = "Ok", utc_now()
        except ValueError as exc:
            self.reject(flow, "SCHEMA", str(exc))

    def search(self, where: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        def keep(flow: Flow) -> bool:
            checks = (
                ("trackingId", lambda v: flow.tracking_id == v),
                ("flowType", lambda v: flow.flow_type in v),
                ("flowDirection", lambda v: flow.direction in v),
                ("processingRule", lambda v: flow.rule in v),
                ("ackStatus", lambda v: flow.ack == v),
                ("updatedAfter", lambda v: iso(flow.updated) > v),
                ("updatedBefore", lambda v: iso(flow.updated) < v),
            )
            return all(test(where[key]) for key, test in checks if key in where)

        with self.lock:
            found = [f for f in self.flows.values() if keep(f)]
        found.sort(key=lambda f: (f.updated, f.flow_id))
        return [f.info() for f in found[:limit]]

    # --- Chorus Pro ---------------------------------------------------------------------
    def chorus_deposit(self, data: bytes) -> str:
        """A Factur-X deposited on Chorus Pro: integrated (with its scripted processing
        statuses) or rejected (unreadable, or listed in ``chorus_reject``); its number."""
        number = self.next_id("CPP")
        state, reason, invoice_number = "IN_INTEGRE", "", ""
        try:
            invoice = cii.read(extract_xml(data))
            invoice_number = invoice.number
            if invoice.number in self.scenario.chorus_reject:
                state, reason = "IN_REJETE", "Code service absent ou inactif"
        except Exception as exc:  # any unreadable file is a rejection
            state, reason = "IN_REJETE", f"Fichier illisible : {exc}"
        history: list[dict[str, str]] = []
        if state == "IN_INTEGRE":  # the invoice exists on Chorus Pro and is processed
            steps = self.scenario.chorus_lifecycle.get(
                invoice_number, self.scenario.default_chorus_lifecycle
            )
            start = utc_now()
            for i, step in enumerate(["DEPOSEE", *steps]):
                code, _, comment = step.partition(":")
                history.append(
                    {
                        "histoStatutCode": code,
                        "histoStatutDatePassage": iso(start + dt.timedelta(seconds=i)),
                        "histoStatutCommentaire": comment,
                    }
                )
        with self.lock:
            self.chorus[number] = {
                "etat": state,
                "motif": reason,
                "date": iso(utc_now()),
                "numeroFacture": invoice_number,
                "identifiantFactureCPP": 1000 + len(self.chorus),
                "historique": history,
            }
        return number
