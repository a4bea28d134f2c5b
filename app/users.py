"""Staff accounts, roles and rights on sensitive actions."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, identifiers
from app.db import Database
from app.errors import NotFoundError, PermissionDenied, ValidationError, ValidationErrors
from models.users import Department, User

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


# --- user management (Paramètres → Utilisateurs) ------------------------------------------------


@dataclass
class UserForm:
    login: str = ""
    full_name: str = ""
    initials: str = ""
    email: str = ""
    role: str = BILLING
    department_id: int | None = None
    password: str = ""  # empty: keep (or no) password


@dataclass(frozen=True)
class UserRow:
    id: int
    login: str
    full_name: str
    initials: str
    role: str
    department: str
    email: str
    has_password: bool
    active: bool


def list_users(session: Session, *, include_inactive: bool = True) -> list[UserRow]:
    query = select(User).order_by(User.full_name)
    if not include_inactive:
        query = query.where(User.active)
    return [
        UserRow(
            id=u.id,
            login=u.login,
            full_name=u.full_name,
            initials=u.initials,
            role=ROLES.get(u.role, u.role),
            department=u.department.name if u.department else "",
            email=u.email,
            has_password=bool(u.password_hash),
            active=u.active,
        )
        for u in session.scalars(query)
    ]


def update_user(session: Session, user_id: int, form: UserForm) -> User:
    """Edit a user; the login stays. A non-empty password replaces the old one."""
    require(session, "settings")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("Utilisateur introuvable.")
    errors: list[ValidationError] = []
    values: dict[str, object] = {}
    for name, fn, args in (
        ("full_name", identifiers.text, (form.full_name, "Nom", 100, True)),
        ("initials", identifiers.text, (form.initials.upper(), "Initiales", 5, True)),
        ("email", identifiers.email, (form.email,)),
    ):
        try:
            values[name] = fn(*args)
        except ValidationError as exc:
            errors.append(exc)
    if form.role not in ROLES:
        errors.append(ValidationError("Rôle", "Rôle inconnu : « {role} ».", role=form.role))
    if user.role == ADMIN and form.role != ADMIN and _other_admins(session, user.id) == 0:
        errors.append(ValidationError("Rôle", "Il doit rester au moins un administrateur actif."))
    if errors:
        raise ValidationErrors(errors)
    values.update(role=form.role, department_id=form.department_id)
    changes = audit.diff(user, values)
    if form.password:
        user.password_hash = hash_password(form.password)
        changes["mot de passe"] = ("***", "***")
    if changes:
        audit.record(
            session,
            "user",
            user.id,
            "update",
            f"Utilisateur {user.full_name} modifié",
            changes=changes,
        )
    return user


def save_user(session: Session, user_id: int | None, form: UserForm) -> User:
    if user_id is None:
        require(session, "settings")
        return create_user(
            session,
            form.login,
            form.full_name,
            role=form.role,
            initials=form.initials.upper(),
            email=form.email,
            department_id=form.department_id,
            password=form.password or None,
        )
    return update_user(session, user_id, form)


def set_user_active(session: Session, user_id: int, active: bool) -> User:
    """Deactivate a user (never deleted: they stay named in every history)."""
    require(session, "settings")
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("Utilisateur introuvable.")
    if not active and user.role == ADMIN and _other_admins(session, user.id) == 0:
        raise PermissionDenied("Il doit rester au moins un administrateur actif.")
    if user.active != active:
        user.active = active
        audit.record(
            session,
            "user",
            user.id,
            "activate" if active else "deactivate",
            f"Utilisateur {user.full_name} {'réactivé' if active else 'désactivé'}",
        )
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("Utilisateur introuvable.")
    return user


def form_from_user(user: User) -> UserForm:
    return UserForm(
        login=user.login,
        full_name=user.full_name,
        initials=user.initials,
        email=user.email,
        role=user.role,
        department_id=user.department_id,
    )


def _other_admins(session: Session, user_id: int) -> int:
    return len(
        list(
            session.scalars(
                select(User.id).where(User.role == ADMIN, User.active, User.id != user_id)
            )
        )
    )


def departments(session: Session) -> list[tuple[int, str]]:
    return [
        (d.id, d.name)
        for d in session.scalars(
            select(Department).where(Department.active).order_by(Department.name)
        )
    ]


def authenticate(session: Session, user_id: int, password: str) -> bool:
    """Start-up chooser: True when the user exists, is active and the password matches."""
    user = session.get(User, user_id)
    return bool(user and user.active and verify_password(user, password))


def needs_password(session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return bool(user and user.password_hash)
