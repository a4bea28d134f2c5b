"""Staff accounts, roles and rights on sensitive actions."""

from __future__ import annotations

import getpass
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.db import Database
from app.errors import PermissionDenied, ValidationError
from models.users import User

ADMIN, BILLING, SALES, OPERATIONS = "administrateur", "facturation", "commercial", "exploitation"
ROLES = {
    ADMIN: "Administrateur",
    BILLING: "Facturation",
    SALES: "Commercial",
    OPERATIONS: "Exploitation",
}

# Sensitive actions and the roles allowed to perform them.
RIGHTS: dict[str, frozenset[str]] = {
    "issue_invoice": frozenset({ADMIN, BILLING}),
    "credit_note": frozenset({ADMIN, BILLING}),
    "settings": frozenset({ADMIN}),
    "delete_draft": frozenset({ADMIN, BILLING}),
    "payments": frozenset({ADMIN, BILLING}),
}

ACTION_LABELS = {
    "issue_invoice": "valider des factures",
    "credit_note": "établir des avoirs",
    "settings": "modifier les paramètres",
    "delete_draft": "supprimer des factures provisoires",
    "payments": "saisir des règlements",
}


def require(session: Session, action: str) -> None:
    """Raise PermissionDenied when the session's user may not perform ``action``.

    A session without user (command line, tests, single-user install) is trusted.
    """
    user_id = audit.current_user_id(session)
    if user_id is None:
        return
    user = session.get(User, user_id)
    if (
        user is None
        or not user.active
        or user.role not in RIGHTS.get(action, frozenset({user.role}))
    ):
        raise PermissionDenied(
            "Votre profil ({role}) ne permet pas de {action}.",
            role=ROLES.get(user.role, user.role) if user else "?",
            action=ACTION_LABELS.get(action, action),
        )


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return True
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        return PasswordHasher().verify(user.password_hash, password)
    except VerificationError:
        return False


def create_user(
    session: Session,
    login: str,
    full_name: str,
    *,
    role: str = BILLING,
    initials: str = "",
    email: str = "",
    department_id: int | None = None,
    password: str | None = None,
) -> User:
    login = identifiers.text(login, "Identifiant", max_length=50, required=True).lower()
    full_name = identifiers.text(full_name, "Nom", max_length=100, required=True)
    if role not in ROLES:
        raise ValidationError("Rôle", "Rôle inconnu : « {role} ».", role=role)
    if session.scalar(select(User).where(User.login == login)):
        raise ValidationError("Identifiant", "L'identifiant « {login} » existe déjà.", login=login)
    initials = initials or "".join(p[0] for p in full_name.split()[:3]).upper()
    user = User(
        login=login,
        full_name=full_name,
        initials=initials[:5],
        role=role,
        email=identifiers.email(email),
        department_id=department_id,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user", user.id, "create", f"Utilisateur {full_name} créé")
    return user


def user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.full_name if user else ""


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active).order_by(User.full_name)))


def resolve_cli_user(db: Database) -> None:
    """Command line: act as ``PROPREO_USER`` (login) or the system login when it is a user."""
    login = os.environ.get("PROPREO_USER") or _system_login()
    if not login:
        return
    with db.read() as session:
        user_id = session.scalar(select(User.id).where(User.login == login.lower(), User.active))
    db.user_id = user_id


def _system_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on this system
        return ""
