"""HTTP client of a platform's Flow and Directory services (AFNOR XP Z12-013), and of
Chorus Pro through PISTE. Written against the published descriptions (docs/EINVOICING.md),
not against the reference server: OAuth2 client credentials (RFC 6749 §4.4) and Bearer
tokens (RFC 6750), ``multipart/form-data`` deposit with ``flowInfo`` + ``file``.

Every failure becomes a :class:`PlatformError` with a French sentence; a timeout is
:class:`PlatformTimeout` — the caller cannot know whether the deposit happened, and finds
out by searching the tracking id before depositing again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from app.einvoicing import spec
from app.errors import PropreoError

TIMEOUT = 60.0  # a deposit is checked (Factur-X, schematrons) before the answer
KEYRING_SERVICE = "Propreo plateforme agréée"
CHORUS_KEYRING_SERVICE = "Propreo Chorus Pro"

# PISTE, the State's API gateway: the API and its OAuth2 server per environment. The
# qualification (sandbox) and production accounts are distinct, so are their secrets
# (keyed by URL in the keyring).
PISTE = {
    "qualification": (
        "https://sandbox-api.piste.gouv.fr",
        "https://sandbox-oauth.piste.gouv.fr/api/oauth/token",
    ),
    "production": ("https://api.piste.gouv.fr", "https://oauth.piste.gouv.fr/api/oauth/token"),
}


def chorus_environment(url: str) -> str:
    """« qualification », « production » or « autre » (a test or demo server)."""
    for name, (api, _token) in PISTE.items():
        if url.rstrip("/") == api:
            return name
    return "autre"


def chorus_token_url(url: str) -> str:
    environment = chorus_environment(url)
    if environment in PISTE:
        return PISTE[environment][1]
    return url.rstrip("/") + "/api/oauth/token"


# Chorus Pro's invoice processing statuses (« statut de traitement », field ``statut`` of
# ``rechercher/fournisseur`` and ``histoStatutCode`` of ``consulter/historique``) and the
# life-cycle status each one means for the supplier (docs/EINVOICING.md).
CHORUS_STATUSES: dict[str, tuple[str, str]] = {
    "DEPOSEE": ("200", "déposée"),
    "EN_COURS_ACHEMINEMENT": ("202", "en cours d'acheminement"),
    "MISE_A_DISPOSITION": ("203", "mise à disposition du destinataire"),
    "PRISE_EN_COMPTE_DESTINATAIRE": ("204", "prise en compte par le destinataire"),
    "MISE_A_DISPOSITION_COMPTABLE": ("204", "mise à disposition du comptable public"),
    "SERVICE_FAIT": ("205", "service fait"),
    "MANDATEE": ("205", "mandatée"),
    "COMPTABILISEE": ("205", "comptabilisée"),
    "SUSPENDUE": ("208", "suspendue"),
    "COMPLETEE": ("209", "complétée"),
    "REJETEE": ("210", "rejetée par le destinataire"),
    "MISE_EN_PAIEMENT": ("211", "mise en paiement"),
    "A_RECYCLER": ("213", "à recycler (destinataire ou service erroné)"),
}
# After these the invoice's processing on Chorus Pro is over: no need to ask again.
CHORUS_FINAL = frozenset({"REJETEE", "MISE_EN_PAIEMENT", "A_RECYCLER"})


class PlatformError(PropreoError):
    pass


class PlatformTimeout(PlatformError):
    pass


@dataclass(frozen=True)
class Credentials:
    base_url: str
    client_id: str
    client_secret: str


# Without a working keyring (a server without a desktop session, CI) a secret typed in
# the settings lives in this process's memory only, until Propreo closes; the command line
# reads it from the environment. Never in the database, never in a file.
_MEMORY: dict[tuple[str, str], str] = {}
ENVIRONMENT = {
    KEYRING_SERVICE: "PROPREO_PA_SECRET",
    CHORUS_KEYRING_SERVICE: "PROPREO_CHORUS_SECRET",
}
CHORUS_PASSWORD_ENVIRONMENT = "PROPREO_CHORUS_PASSWORD"


def keyring_available() -> bool:
    """Whether a system keyring works here (keyring falls back to its « fail » backend
    when none does: no desktop session, no D-Bus secret service)."""
    import keyring
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def store_secret(service: str, key: str, secret: str) -> bool:
    """Keep a secret in the system keyring; False when there is none (then it is kept in
    memory for this session only)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(service, key, secret)
    except KeyringError:
        _MEMORY[(service, key)] = secret
        return False
    return True


def load_secret(service: str, key: str, environment: str = "") -> str:
    """The keyring's secret, else the one typed this session, else ``$environment``."""
    import keyring
    from keyring.errors import KeyringError

    try:
        found = keyring.get_password(service, key) or ""
    except KeyringError:
        found = ""
    return found or _MEMORY.get((service, key), "") or os.environ.get(environment, "")


def _explain(exc: Exception, url: str) -> PlatformError:
    import requests

    if isinstance(exc, requests.Timeout):
        return PlatformTimeout(
            "La plateforme {url} n'a pas répondu à temps : l'envoi sera vérifié au prochain "
            "essai, sans double dépôt.",
            url=url,
        )
    return PlatformError("La plateforme {url} est injoignable ({error}).", url=url, error=str(exc))


class Session:
    """One authenticated conversation with a platform (token fetched on first use)."""

    def __init__(
        self, credentials: Credentials, timeout: float = TIMEOUT, token_url: str = ""
    ) -> None:
        import requests

        self.credentials = credentials
        self.base = credentials.base_url.rstrip("/")
        self.token_url = token_url or self.base + spec.TOKEN_PATH
        self.timeout = timeout
        self.http = requests.Session()
        self._token = ""

    # --- transport ----------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        url = path if path.startswith(("http://", "https://")) else self.base + path
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise _explain(exc, self.base) from None
        return response

    def token(self) -> str:
        if self._token:
            return self._token
        if not self.credentials.client_id or not self.credentials.client_secret:
            raise PlatformError(
                "Identifiant ou secret de la plateforme manquant : renseignez-les dans "
                "Paramètres › Facturation électronique."
            )
        response = self._request(
            "POST",
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret,
            },
        )
        if response.status_code != 200:
            raise PlatformError(
                "La plateforme refuse l'identifiant « {client} » ou son secret (HTTP {status}).",
                client=self.credentials.client_id,
                status=response.status_code,
            )
        self._token = str(response.json()["access_token"])
        return self._token

    def call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        response = self._request(method, path, headers=headers, **kwargs)
        if response.status_code not in ok:
            try:
                message = response.json().get("errorMessage", response.text)
            except ValueError:
                message = response.text
            raise PlatformError(
                "La plateforme a répondu HTTP {status} : {detail}",
                status=response.status_code,
                detail=message[:300],
            )
        return response

    # --- Flow Service -------------------------------------------------------------------
    def healthcheck(self) -> None:
        for prefix in (spec.FLOW_PREFIX, spec.DIRECTORY_PREFIX):
            response = self._request("GET", f"{prefix}/healthcheck")
            if response.status_code != 200:
                raise PlatformError(
                    "Le service {service} de la plateforme ne répond pas (HTTP {status}).",
                    service=prefix,
                    status=response.status_code,
                )
        self.token()

    def submit(
        self,
        data: bytes,
        *,
        name: str,
        syntax: str,
        tracking_id: str,
        rule: str = "B2B",
        profile: str | None = None,
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "trackingId": tracking_id,
            "name": name,
            "processingRule": rule,
            "flowSyntax": syntax,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if profile:
            info["flowProfile"] = profile
        mime = "application/pdf" if data[:4] == b"%PDF" else "application/xml"
        files = {
            "flowInfo": (None, json.dumps(info), "application/json"),
            "file": (name, data, mime),
        }
        return dict(
            self.call("POST", f"{spec.FLOW_PREFIX}/flows", ok=(200, 202), files=files).json()
        )

    def search(self, where: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
        body = {"limit": limit, "where": where}
        response = self.call("POST", f"{spec.FLOW_PREFIX}/flows/search", json=body)
        return list(response.json().get("results", []))

    def flow(self, flow_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"{spec.FLOW_PREFIX}/flows/{flow_id}").json())

    def original(self, flow_id: str) -> bytes:
        path = f"{spec.FLOW_PREFIX}/flows/{flow_id}"
        return bytes(self.call("GET", path, params={"docType": "Original"}).content)

    # --- Directory Service --------------------------------------------------------------
    def directory_line(self, siren: str) -> tuple[bool, str, str]:
        """(found, reason, platform name) of the buyer's directory line."""
        path = f"{spec.DIRECTORY_PREFIX}/directory-line/code:{siren}"
        response = self.call("GET", path, ok=(200, 404))
        if response.status_code == 404:
            try:
                reason = response.json().get("errorMessage", "")
            except ValueError:
                reason = ""
            return False, reason or "absent de l'annuaire", ""
        body = response.json()
        return True, "", str(body.get("platform", {}).get("name", ""))


class ChorusSession:
    """Chorus Pro through PISTE: OAuth2 client credentials and the technical account."""

    def __init__(self, base_url: str, client_id: str, secret: str, login: str, password: str):
        self.platform = Session(
            Credentials(base_url, client_id, secret), token_url=chorus_token_url(base_url)
        )
        account = base64.b64encode(f"{login}:{password}".encode()).decode()
        self.headers = {"cpro-account": account, "Content-Type": "application/json;charset=utf-8"}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.platform.credentials  # noqa: B018 - token fetched by call()
        response = self.platform.call(
            "POST", path, ok=(200, 400, 401, 404), headers=self.headers, data=json.dumps(body)
        )
        payload = dict(response.json())
        if response.status_code != 200 or payload.get("codeRetour") != 0:
            raise PlatformError(
                "Chorus Pro a refusé la demande : {detail}",
                detail=str(payload.get("libelle", response.status_code)),
            )
        return payload

    def deposit(self, pdf: bytes, name: str) -> str:
        body = {
            "fichierFlux": base64.b64encode(pdf).decode(),
            "nomFichier": name,
            "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
            "avecSignature": False,
        }
        return str(self._post("/cpro/factures/v1/deposer/flux", body)["numeroFluxDepot"])

    def invoice(self, invoice_number: str) -> dict[str, Any]:
        """The invoice as the supplier's search lists it (``rechercher/fournisseur``):
        ``identifiantFactureCPP``, ``numeroFluxDepot``, ``statut``…; {} if none."""
        body = self._post(
            "/cpro/factures/v1/rechercher/fournisseur", {"numeroFacture": invoice_number}
        )
        found = body.get("listeFactures") or []
        return dict(found[0]) if found else {}

    def find(self, invoice_number: str) -> str:
        """The deposit number of an invoice already on Chorus Pro ("" if none): a deposit
        whose answer was lost is found again instead of being made twice."""
        return str(self.invoice(invoice_number).get("numeroFluxDepot", ""))

    def history(self, invoice_id: int) -> list[tuple[str, str, str]]:
        """(status code, ISO date-time, comment) of each processing status of the invoice
        (``consulter/historique``), oldest first."""
        body = self._post("/cpro/factures/v1/consulter/historique", {"idFacture": invoice_id})
        rows = (body.get("historiquesDesStatuts") or {}).get("histoStatut") or []
        found = [
            (
                str(r.get("histoStatutCode", "")),
                str(r.get("histoStatutDatePassage", "")),
                str(r.get("histoStatutCommentaire") or ""),
            )
            for r in rows
        ]
        return sorted(found, key=lambda r: r[1])

    def report(self, deposit_number: str) -> tuple[str, str]:
        body = self._post("/cpro/transverses/v1/consulterCR", {"numeroFluxDepot": deposit_number})
        return str(body.get("etatCourantFlux", "")), str(body.get("motif", ""))
