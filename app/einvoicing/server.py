"""The reference platform's HTTP side: ``propreo pa serve --port N``.

No approved platform is reachable from a test machine, so this small HTTP server plays
one. It implements the endpoints Propreo uses as the AFNOR XP Z12-013 OpenAPI
descriptions define them (Flow Service: ``POST /flows``, ``GET /flows/{flowId}``,
``POST /flows/search``, ``GET /healthcheck``; Directory Service: ``GET
/siren/code-insee:{siren}``, ``GET /directory-line/code:{id}``), an OAuth2
client-credentials token endpoint, and the two Chorus Pro (PISTE) calls used for public
bodies (deposit report, supplier search, status history).

This module routes the requests and checks the ``FlowInfo`` against the enumerations and
its SHA-256 against the file; the platform's state, the checks of the documents and the
scripted life cycles are in :mod:`app.einvoicing.reference_platform`.

Scenario (``--scenario FILE``, JSON): ``{"unknown_sirens": ["…"], "lifecycle": {"<invoice
number>": ["205", "210:motif", …]}, "default_lifecycle": ["202", "205"], "ack_delay": 0,
"ack_delay_count": 1, "inbox": ["supplier-facturx.pdf"]}``. ``ack_delay`` holds the
answer to the first ``ack_delay_count`` deposits (0: every one) that many seconds after
the flow is stored (a slow acknowledgement: what a client
timing out or crashing meets).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from app.einvoicing import spec
from app.einvoicing.reference_platform import (
    DEFAULT_CHORUS_ACCOUNT,
    DEFAULT_CLIENT,
    Flow,
    Platform,
    Scenario,
    utc_now,
)


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
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""  # a part is never nested here
            parts[str(name)] = (part.get_filename() or "", data)
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
        now = utc_now()
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
        number = self.platform.chorus_deposit(base64.b64decode(body["fichierFlux"]))
        self._send(
            200,
            {
                "codeRetour": 0,
                "libelle": "GCU_MSG_01_000",
                "numeroFluxDepot": number,
                "dateDepot": utc_now().date().isoformat(),
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


def make_server(
    port: int, scenario_file: Path | None, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """The platform playing the scenario of ``scenario_file`` (None: the demo's)."""
    platform = Platform(Scenario.load(scenario_file))
    handler = type("BoundHandler", (Handler,), {"platform": platform})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
