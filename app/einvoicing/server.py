"""The reference platform: ``propreo pa serve --port N``.

No approved platform is reachable from a test machine, so this small HTTP server plays
one. It implements the endpoints Propreo uses as the AFNOR XP Z12-013 OpenAPI
descriptions define them (Flow Service: ``POST /flows``, ``GET /flows/{flowId}``,
``POST /flows/search``, ``GET /healthcheck``; Directory Service: ``GET
/siren/code-insee:{siren}``, ``GET /directory-line/code:{id}``), an OAuth2
client-credentials token endpoint, and the two Chorus Pro (PISTE) calls used for public
bodies (deposit report, supplier search, status history). It checks what it receives — the ``FlowInfo`` against the enumerations, the
SHA-256, the Factur-X (embedded XML: XSD, EN 16931 and BR-FR schematrons), the
life-cycle messages and the e-reporting files against their schemas — and plays scripted
life cycles: each accepted invoice gets the statuses its scenario lists, published as
incoming ``CustomerInvoiceLC`` flows, as a platform does.

Scenario (``--scenario FILE``, JSON): ``{"unknown_sirens": ["…"], "lifecycle": {"<invoice
number>": ["205", "210:motif", …]}, "default_lifecycle": ["202", "205"], "ack_delay": 0,
"ack_delay_count": 1, "inbox": ["supplier-facturx.pdf"]}``. ``ack_delay`` holds the
answer to the first ``ack_delay_count`` deposits (0: every one) that many seconds after
the flow is stored (a slow acknowledgement: what a client
timing out or crashing meets).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from app.einvoicing import cdar, cii, ereporting_schema, spec

DEFAULT_CLIENT = ("propreo-demo", "demo-secret")
DEFAULT_CHORUS_ACCOUNT = ("TECH_PROPREO@cpro.fr", "chorus-demo")
DEFAULT_LIFECYCLE = ["202", "203", "205"]
DEFAULT_CHORUS_LIFECYCLE = ["MISE_A_DISPOSITION"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _iso(moment: dt.datetime) -> str:
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
            "submittedAt": _iso(self.submitted),
            "updatedAt": _iso(self.updated),
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

    def deliver_supplier_invoice(self, data: bytes, name: str) -> Flow:
        from reports.facturx import extract_xml

        now = _now()
        syntax = "Factur-X" if data[:4] == b"%PDF" else "CII"
        self.supplier_numbers.add(
            cii.read(extract_xml(data) if syntax == "Factur-X" else data).number
        )
        return self.add(
            Flow(
                self.next_id("IN"),
                "",
                name,
                syntax,
                "CIUS",
                "B2B",
                "Computed",
                "SupplierInvoice",
                "In",
                now,
                now,
                data,
                hashlib.sha256(data).hexdigest(),
                "Ok",
            )
        )

    def publish_status(self, invoice: cii.CiiInvoice, step: str) -> None:
        code, _, reason = step.partition(":")
        status = cdar.Status(
            invoice.number, invoice.issue_date, invoice.seller_siren, code, _now(), reason
        )
        data = cdar.build(status)
        now = _now()
        self.add(
            Flow(
                self.next_id("LC"),
                "",
                f"CDAR_{invoice.number}_{code}.xml",
                "CDAR",
                "",
                "B2B",
                "Computed",
                "CustomerInvoiceLC",
                "In",
                now,
                now,
                data,
                hashlib.sha256(data).hexdigest(),
                "Ok",
            )
        )

    # --- checks of what is received -------------------------------------------------
    def check_invoice(self, flow: Flow) -> None:
        """Factur-X checks, directory routing, then the scripted life cycle."""
        from reports.facturx import extract_xml
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
        flow.ack, flow.updated = "Ok", _now()
        self.publish_status(invoice, "200")
        steps = self.scenario.lifecycle.get(invoice.number, self.scenario.default_lifecycle)
        for step in steps:
            self.publish_status(invoice, step)

    def reject(self, flow: Flow, code: str, message: str) -> None:
        flow.ack, flow.updated = "Error", _now()
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
            flow.ack, flow.updated = "Ok", _now()
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
                ("updatedAfter", lambda v: _iso(flow.updated) > v),
                ("updatedBefore", lambda v: _iso(flow.updated) < v),
            )
            return all(test(where[key]) for key, test in checks if key in where)

        with self.lock:
            found = [f for f in self.flows.values() if keep(f)]
        found.sort(key=lambda f: (f.updated, f.flow_id))
        return [f.info() for f in found[:limit]]


class Handler(BaseHTTPRequestHandler):
    platform: Platform
    client: tuple[str, str] = DEFAULT_CLIENT
    chorus_account: tuple[str, str] = DEFAULT_CHORUS_ACCOUNT
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # --- helpers ------------------------------------------------------------------------
    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"errorCode": code, "errorMessage": message})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self) -> Any:
        try:
            return json.loads(self._body() or b"null")
        except json.JSONDecodeError:
            return None

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.platform.tokens:
            return True
        self._error(401, "UNAUTHORIZED", "Jeton absent ou invalide")
        return False

    # --- routing ------------------------------------------------------------------------
    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = url.path
        if path in (f"{spec.FLOW_PREFIX}/healthcheck", f"{spec.DIRECTORY_PREFIX}/healthcheck"):
            self._send(200, {"status": "OK"})
            return
        if not self._authorised():
            return
        if path.startswith(f"{spec.FLOW_PREFIX}/webhooks"):
            self._webhooks("GET", path)
        elif path.startswith(f"{spec.FLOW_PREFIX}/flows/"):
            self._get_flow(path.rsplit("/", 1)[1], parse_qs(url.query))
        elif path.startswith(f"{spec.DIRECTORY_PREFIX}/siren/code-insee:"):
            self._directory(path.rsplit(":", 1)[1], line=False)
        elif path.startswith(f"{spec.DIRECTORY_PREFIX}/directory-line/code:"):
            self._directory(path.rsplit(":", 1)[1], line=True)
        else:
            self._error(404, "NOT_FOUND", path)

    def do_POST(self) -> None:
        path = urlparse(self.path).path
        if path in (spec.TOKEN_PATH, "/api/oauth/token"):
            self._token()
            return
        if not self._authorised():
            return
        routes = {
            f"{spec.FLOW_PREFIX}/flows": self._post_flow,
            f"{spec.FLOW_PREFIX}/flows/search": self._search,
            "/cpro/factures/v1/deposer/flux": self._chorus_deposit,
            "/cpro/transverses/v1/consulterCR": self._chorus_report,
            "/cpro/factures/v1/rechercher/fournisseur": self._chorus_search,
            "/cpro/factures/v1/consulter/historique": self._chorus_history,
        }
        handler = routes.get(path)
        if path == f"{spec.FLOW_PREFIX}/webhooks":
            self._webhooks("POST", path)
        elif handler is None:
            self._error(404, "NOT_FOUND", path)
        else:
            handler()

    def do_DELETE(self) -> None:
        path = urlparse(self.path).path
        if self._authorised():
            self._webhooks("DELETE", path)

    # --- endpoints ----------------------------------------------------------------------
    def _webhooks(self, method: str, path: str) -> None:
        """``POST /webhooks`` (201), ``GET /webhooks``, ``GET|DELETE /webhooks/{uid}``."""
        hooks = self.platform.webhooks
        if not self.platform.scenario.webhooks or not path.startswith(
            f"{spec.FLOW_PREFIX}/webhooks"
        ):
            self._error(404, "NOT_FOUND", path)
            return
        uid = path.removeprefix(f"{spec.FLOW_PREFIX}/webhooks").strip("/")
        if method == "POST" and not uid:
            body = self._json()
            problems = spec.webhook_problems(body)
            if problems:
                self._error(400, "BAD_REQUEST", " ; ".join(problems))
                return
            uid = str(uuid.uuid4())
            hook = {"webhookId": uid, "callback": body["callback"], "metadata": body["metadata"]}
            with self.platform.lock:
                hooks[uid] = hook
            self._send(201, hook)
        elif method == "GET" and not uid:
            self._send(200, list(hooks.values()))
        elif uid not in hooks:
            self._error(404, "NOT_FOUND", f"webhook {uid} inconnu")
        elif method == "GET":
            self._send(200, hooks[uid])
        else:
            with self.platform.lock:
                del hooks[uid]
            self._send(200, {})

    def _token(self) -> None:
        form = parse_qs(self._body().decode())
        grant = form.get("grant_type", [""])[0]
        pair = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        if grant != "client_credentials" or pair != self.client:
            self._send(401, {"error": "invalid_client"})
            return
        token = secrets.token_urlsafe(24)
        self.platform.tokens.add(token)
        self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _multipart(self) -> dict[str, tuple[str, bytes]]:
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            return {}
        raw = b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self._body()
        message = BytesParser(policy=HTTP).parsebytes(raw)
        parts: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            parts[str(name)] = (part.get_filename() or "", payload)
        return parts

    def _post_flow(self) -> None:
        parts = self._multipart()
        if "flowInfo" not in parts or "file" not in parts:
            self._error(400, "BAD_REQUEST", "flowInfo et file sont obligatoires (multipart)")
            return
        try:
            info = json.loads(parts["flowInfo"][1])
        except json.JSONDecodeError:
            self._error(400, "BAD_REQUEST", "flowInfo n'est pas du JSON")
            return
        problems = spec.flow_info_problems(info)
        filename, data = parts["file"]
        digest = hashlib.sha256(data).hexdigest()
        if "sha256" in info and info["sha256"] != digest:
            problems.append("flowInfo.sha256: ne correspond pas au fichier reçu")
        if problems:
            self._error(400, "BAD_REQUEST", " ; ".join(problems))
            return
        now = _now()
        syntax = info["flowSyntax"]
        invoice = syntax in ("Factur-X", "CII", "UBL")
        flow = Flow(
            self.platform.next_id("FL"),
            info.get("trackingId", ""),
            info.get("name") or filename,
            syntax,
            info.get("flowProfile", ""),
            info.get("processingRule", "B2B"),
            "Input" if "processingRule" in info else "Computed",
            "CustomerInvoice" if invoice else "CustomerInvoiceLC",
            "Out",
            now,
            now,
            data,
            digest,
        )
        self.platform.add(flow)
        if invoice:
            self.platform.check_invoice(flow)
        else:
            self.platform.check_other(flow)
        if self.platform.hold_answer():
            time.sleep(self.platform.scenario.ack_delay)
        self._send(202, flow.info())

    def _get_flow(self, flow_id: str, query: dict[str, list[str]]) -> None:
        flow = self.platform.flows.get(flow_id)
        if flow is None:
            self._error(404, "NOT_FOUND", f"flux {flow_id} inconnu")
            return
        doc_type = query.get("docType", ["Metadata"])[0]
        if doc_type not in spec.DOC_TYPES:
            self._error(400, "BAD_REQUEST", "docType hors énumération")
        elif doc_type == "Metadata":
            self._send(200, flow.info())
        elif doc_type == "Original":
            pdf = flow.original[:4] == b"%PDF"
            self._send(200, flow.original, "application/pdf" if pdf else "application/xml")
        else:
            self._error(404, "NOT_FOUND", f"pas de document {doc_type}")

    def _search(self) -> None:
        body = self._json()
        problems = spec.search_problems(body)
        if problems:
            self._error(400, "BAD_REQUEST", " ; ".join(problems))
            return
        limit = body.get("limit", 25)
        results = self.platform.search(body["where"], limit)
        self._send(200, {"limit": limit, "filters": body["where"], "results": results})

    def _directory(self, code: str, *, line: bool) -> None:
        from stdnum.fr import siren as siren_rule

        siren = code[:9]
        if not siren_rule.is_valid(siren):
            self._error(400, "BAD_REQUEST", f"identifiant {code} invalide")
            return
        if line and siren in self.platform.scenario.unknown_sirens:
            self._error(404, "NOT_FOUND", "Aucune ligne d'annuaire : destinataire non inscrit")
            return
        if line:
            self._send(
                200,
                {
                    "addressingIdentifier": code,
                    "siren": siren,
                    "platform": {"matricule": "0000", "name": "Plateforme de référence Propreo"},
                    "period": {"dateFrom": "2026-09-01"},
                },
            )
        else:
            self._send(
                200, {"siren": siren, "administrativeStatus": "A", "entityType": "Assujetti"}
            )

    # --- Chorus Pro ---------------------------------------------------------------------
    def _chorus_account_ok(self) -> bool:
        account = self.headers.get("cpro-account", "")
        expected = base64.b64encode(":".join(self.chorus_account).encode()).decode()
        if account != expected:
            self._send(401, {"codeRetour": 1, "libelle": "Compte technique Chorus Pro invalide"})
            return False
        return True

    def _chorus_deposit(self) -> None:
        if not self._chorus_account_ok():
            return
        body = self._json() or {}
        missing = [k for k in ("fichierFlux", "nomFichier", "syntaxeFlux") if not body.get(k)]
        if missing or body.get("syntaxeFlux") != "IN_DP_E2_CII_FACTURX":
            self._send(400, {"codeRetour": 2, "libelle": f"Paramètres invalides : {missing}"})
            return
        number = self.platform.next_id("CPP")
        data = base64.b64decode(body["fichierFlux"])
        state, reason, invoice_number = "IN_INTEGRE", "", ""
        try:
            from reports.facturx import extract_xml

            invoice = cii.read(extract_xml(data))
            invoice_number = invoice.number
            if invoice.number in self.platform.scenario.chorus_reject:
                state, reason = "IN_REJETE", "Code service absent ou inactif"
        except Exception as exc:  # any unreadable file is a rejection
            state, reason = "IN_REJETE", f"Fichier illisible : {exc}"
        history: list[dict[str, str]] = []
        if state == "IN_INTEGRE":  # the invoice exists on Chorus Pro and is processed
            steps = self.platform.scenario.chorus_lifecycle.get(
                invoice_number, self.platform.scenario.default_chorus_lifecycle
            )
            start = _now()
            for i, step in enumerate(["DEPOSEE", *steps]):
                code, _, comment = step.partition(":")
                history.append(
                    {
                        "histoStatutCode": code,
                        "histoStatutDatePassage": _iso(start + dt.timedelta(seconds=i)),
                        "histoStatutCommentaire": comment,
                    }
                )
        self.platform.chorus[number] = {
            "etat": state,
            "motif": reason,
            "date": _iso(_now()),
            "numeroFacture": invoice_number,
            "identifiantFactureCPP": 1000 + len(self.platform.chorus),
            "historique": history,
        }
        self._send(
            200,
            {
                "codeRetour": 0,
                "libelle": "GCU_MSG_01_000",
                "numeroFluxDepot": number,
                "dateDepot": _now().date().isoformat(),
            },
        )

    def _chorus_search(self) -> None:
        if not self._chorus_account_ok():
            return
        wanted = str((self._json() or {}).get("numeroFacture", ""))
        found = [
            {
                "numeroFacture": d["numeroFacture"],
                "numeroFluxDepot": n,
                "identifiantFactureCPP": d["identifiantFactureCPP"],
                "statut": d["historique"][-1]["histoStatutCode"] if d["historique"] else "",
                "dateHeureEtatCourant": (
                    d["historique"][-1]["histoStatutDatePassage"] if d["historique"] else ""
                ),
            }
            for n, d in self.platform.chorus.items()
            if wanted and d["numeroFacture"] == wanted
        ]
        self._send(200, {"codeRetour": 0, "libelle": "GCU_MSG_01_000", "listeFactures": found})

    def _chorus_history(self) -> None:
        if not self._chorus_account_ok():
            return
        wanted = (self._json() or {}).get("idFacture")
        found = [d for d in self.platform.chorus.values() if d["identifiantFactureCPP"] == wanted]
        if not found or not found[0]["historique"]:
            self._send(404, {"codeRetour": 3, "libelle": f"Facture {wanted} inconnue"})
            return
        invoice = found[0]
        rows = invoice["historique"]
        self._send(
            200,
            {
                "codeRetour": 0,
                "libelle": "GCU_MSG_01_000",
                "idFacture": wanted,
                "numeroFacture": invoice["numeroFacture"],
                "statutCourantCode": rows[-1]["histoStatutCode"],
                "historiquesDesStatuts": {"histoStatut": rows, "totalHistoStatut": len(rows)},
            },
        )

    def _chorus_report(self) -> None:
        if not self._chorus_account_ok():
            return
        body = self._json() or {}
        deposit = self.platform.chorus.get(str(body.get("numeroFluxDepot", "")))
        if deposit is None:
            self._send(404, {"codeRetour": 3, "libelle": "Flux inconnu"})
            return
        self._send(
            200,
            {
                "codeRetour": 0,
                "libelle": "GCU_MSG_01_000",
                "etatCourantFlux": deposit["etat"],
                "motif": deposit["motif"],
                "dateHeureEtatCourantFlux": deposit["date"],
            },
        )


def make_server(port: int, scenario: Scenario, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"platform": Platform(scenario)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
