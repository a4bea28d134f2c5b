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
from dataclasses import dataclass
from typing import Any

from app.einvoicing import spec
from app.errors import PropreoError

TIMEOUT = 20.0
KEYRING_SERVICE = "Propreo plateforme agréée"
CHORUS_KEYRING_SERVICE = "Propreo Chorus Pro"


class PlatformError(PropreoError):
    pass


class PlatformTimeout(PlatformError):
    pass


@dataclass(frozen=True)
class Credentials:
    base_url: str
    client_id: str
    client_secret: str


def store_secret(service: str, key: str, secret: str) -> None:
    """Keep a secret in the system keyring (never in the database)."""
    import keyring
    from keyring.errors import KeyringError

    from app.errors import ValidationError

    try:
        keyring.set_password(service, key, secret)
    except KeyringError as exc:
        raise ValidationError(
            "Secret",
            "Le trousseau du système n'est pas disponible ({error}) : le secret n'est jamais "
            "enregistré dans la base.",
            error=str(exc),
        ) from None


def load_secret(service: str, key: str) -> str:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(service, key) or ""
    except KeyringError:
        return ""


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

    def __init__(self, credentials: Credentials, timeout: float = TIMEOUT) -> None:
        import requests

        self.credentials = credentials
        self.base = credentials.base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self._token = ""

    # --- transport ----------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        url = self.base + path
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
            spec.TOKEN_PATH,
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
                "La plateforme a répondu HTTP {status} : {message}",
                status=response.status_code,
                message=message[:300],
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
        self.platform = Session(Credentials(base_url, client_id, secret))
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
                "Chorus Pro a refusé la demande : {message}",
                message=str(payload.get("libelle", response.status_code)),
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

    def find(self, invoice_number: str) -> str:
        """The deposit number of an invoice already on Chorus Pro ("" if none): a deposit
        whose answer was lost is found again instead of being made twice."""
        body = self._post(
            "/cpro/factures/v1/rechercher/fournisseur", {"numeroFacture": invoice_number}
        )
        found = body.get("listeFactures") or []
        return str(found[0].get("numeroFluxDepot", "")) if found else ""

    def report(self, deposit_number: str) -> tuple[str, str]:
        body = self._post("/cpro/transverses/v1/consulterCR", {"numeroFluxDepot": deposit_number})
        return str(body.get("etatCourantFlux", "")), str(body.get("motif", ""))
