"""Platform settings: URLs and identifiers in the database, secrets in the system keyring."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.einvoicing import connector
from app.errors import ValidationError
from models.einvoicing import PlatformSettings

VAT_REGIMES = {
    "reel_mensuel": "Réel normal mensuel",
    "reel_trimestriel": "Réel normal trimestriel",
    "simplifie": "Réel simplifié",
    "franchise": "Franchise en base",
}


@dataclass
class PlatformForm:
    base_url: str = ""
    client_id: str = ""
    client_secret: str = ""  # empty: keep the one in the keyring
    chorus_url: str = ""
    chorus_client_id: str = ""
    chorus_secret: str = ""
    chorus_login: str = ""
    chorus_password: str = ""
    vat_regime: str = "reel_mensuel"


def get_settings(session: Session) -> PlatformSettings:
    row = session.get(PlatformSettings, 1)
    if row is None:
        row = PlatformSettings(id=1)
        session.add(row)
        session.flush()
    return row


def read_settings(session: Session) -> PlatformSettings:
    """The settings without writing (a read session): defaults when never saved."""
    return session.get(PlatformSettings, 1) or PlatformSettings(
        id=1,
        base_url="",
        client_id="",
        chorus_url="",
        chorus_client_id="",
        chorus_login="",
        synced_until="",
        vat_regime="reel_mensuel",
    )


def _url(value: str, label: str) -> str:
    value = value.strip().rstrip("/")
    if value and not value.startswith(("https://", "http://")):
        raise ValidationError(label, "Adresse attendue sous la forme https://…")
    return value


KEYRING_MISSING = (
    "Le trousseau du système n'est pas disponible : les secrets saisis sont gardés en "
    "mémoire jusqu'à la fermeture de Propreo (jamais dans la base) et seront à saisir de "
    "nouveau au prochain lancement."
)


def save_settings(session: Session, form: PlatformForm) -> PlatformSettings:
    if form.vat_regime not in VAT_REGIMES:
        raise ValidationError("Régime de TVA", "Régime inconnu : {value}", value=form.vat_regime)
    row = get_settings(session)
    row.base_url = _url(form.base_url, "Adresse de la plateforme")
    row.client_id = form.client_id.strip()
    row.chorus_url = _url(form.chorus_url, "Adresse de Chorus Pro")
    row.chorus_client_id = form.chorus_client_id.strip()
    row.chorus_login = form.chorus_login.strip()
    row.vat_regime = form.vat_regime
    if form.client_secret:
        connector.store_secret(
            connector.KEYRING_SERVICE, _key(row.base_url, row.client_id), form.client_secret
        )
    if form.chorus_secret or form.chorus_password:
        key = _key(row.chorus_url, row.chorus_client_id)
        if form.chorus_secret:
            connector.store_secret(connector.CHORUS_KEYRING_SERVICE, key, form.chorus_secret)
        if form.chorus_password:
            connector.store_secret(
                connector.CHORUS_KEYRING_SERVICE,
                f"{row.chorus_login}@{row.chorus_url}",
                form.chorus_password,
            )
    return row


def _key(url: str, client_id: str) -> str:
    return f"{client_id}@{url}"


def platform_session(session: Session, url: str | None = None) -> connector.Session:
    row = read_settings(session)
    base = (url or row.base_url).rstrip("/")
    if not base:
        raise ValidationError(
            "Adresse de la plateforme",
            "Aucune plateforme n'est configurée : renseignez son adresse dans Paramètres › "
            "Facturation électronique (ou --url).",
        )
    secret = connector.load_secret(
        connector.KEYRING_SERVICE,
        _key(row.base_url, row.client_id),
        connector.ENVIRONMENT[connector.KEYRING_SERVICE],
    )
    return connector.Session(connector.Credentials(base, row.client_id, secret))


def chorus_session(session: Session, url: str | None = None) -> connector.ChorusSession:
    row = read_settings(session)
    base = (url or row.chorus_url).rstrip("/")
    if not base:
        raise ValidationError("Adresse de Chorus Pro", "Chorus Pro n'est pas configuré.")
    key = _key(row.chorus_url, row.chorus_client_id)
    return connector.ChorusSession(
        base,
        row.chorus_client_id,
        connector.load_secret(
            connector.CHORUS_KEYRING_SERVICE,
            key,
            connector.ENVIRONMENT[connector.CHORUS_KEYRING_SERVICE],
        ),
        row.chorus_login,
        connector.load_secret(
            connector.CHORUS_KEYRING_SERVICE,
            f"{row.chorus_login}@{row.chorus_url}",
            connector.CHORUS_PASSWORD_ENVIRONMENT,
        ),
    )


def test_connection(session: Session, url: str | None = None) -> str:
    """« Tester la connexion »: both services answer and the credentials get a token."""
    platform = platform_session(session, url)
    platform.healthcheck()
    return f"Connexion réussie à {platform.base} (services Flux et Annuaire, jeton obtenu)."


DEMO_URL = "http://127.0.0.1:8800"


def configure_demo(session: Session, url: str = DEMO_URL) -> str:
    """Point the firm at the reference platform ``make run`` starts (its demonstration
    identifiers): addresses and identifiers in the base, secrets in the keyring when one
    works — otherwise the message says what to type in the settings."""
    from app.einvoicing.reference_platform import DEFAULT_CHORUS_ACCOUNT, DEFAULT_CLIENT

    client, secret = DEFAULT_CLIENT
    login, password = DEFAULT_CHORUS_ACCOUNT
    form = PlatformForm(
        base_url=url,
        client_id=client,
        client_secret=secret,
        chorus_url=url,
        chorus_client_id=client,
        chorus_secret=secret,
        chorus_login=login,
        chorus_password=password,
        vat_regime=read_settings(session).vat_regime,
    )
    save_settings(session, form)
    head = f"Plateforme de référence configurée : {url}, identifiant {client}"
    if not connector.keyring_available():
        return (
            f"{head}. Trousseau du système indisponible : dans Facturation électronique › "
            f"Paramètres, saisissez le secret « {secret} » (et « {secret} » pour PISTE, "
            f"« {password} » pour le compte technique) à chaque lancement, ou définissez "
            f"{connector.ENVIRONMENT[connector.KEYRING_SERVICE]}, "
            f"{connector.ENVIRONMENT[connector.CHORUS_KEYRING_SERVICE]} et "
            f"{connector.CHORUS_PASSWORD_ENVIRONMENT} pour la ligne de commande."
        )
    return f"{head} ; secrets enregistrés dans le trousseau du système."
