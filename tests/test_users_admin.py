"""User management: create, edit, deactivate, password, and rights on settings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from app import catalog, costs, users
from app.errors import PermissionDenied, ValidationError, ValidationErrors


def test_create_edit_and_password(session: Session) -> None:
    admin = users.save_user(
        session, None, users.UserForm(login="Claire", full_name="Claire Martin", role=users.ADMIN)
    )
    assert (admin.login, admin.initials) == ("claire", "CM")
    form = users.form_from_user(admin)
    form.full_name = "Claire Martin-Roux"
    form.password = "s3cret!"
    users.update_user(session, admin.id, form)
    assert admin.full_name == "Claire Martin-Roux"
    assert admin.password_hash and admin.password_hash.startswith("$argon2")
    assert users.needs_password(session, admin.id)
    assert users.authenticate(session, admin.id, "s3cret!")
    assert not users.authenticate(session, admin.id, "wrong")
    [row] = users.list_users(session)
    assert (row.role, row.has_password) == ("Administrateur", True)
    with pytest.raises(ValidationError) as exc:
        users.save_user(session, None, users.UserForm(login="CLAIRE", full_name="Autre"))
    assert exc.value.field == "Identifiant"
    with pytest.raises(ValidationError) as exc:
        users.save_user(session, None, users.UserForm(login="paul", full_name="Paul", role="chef"))
    assert exc.value.field == "Rôle"


def test_last_admin_stays(session: Session) -> None:
    admin = users.save_user(
        session, None, users.UserForm(login="admin", full_name="Claire Martin", role=users.ADMIN)
    )
    form = users.form_from_user(admin)
    form.role = users.BILLING
    with pytest.raises(ValidationErrors) as exc:
        users.update_user(session, admin.id, form)
    assert exc.value.fields == ["Rôle"]
    with pytest.raises(PermissionDenied):
        users.set_user_active(session, admin.id, False)
    sophie = users.save_user(
        session, None, users.UserForm(login="sophie", full_name="Sophie Bernard")
    )
    users.set_user_active(session, sophie.id, False)
    assert [u.login for u in users.active_users(session)] == ["admin"]


def test_settings_need_the_administrator_role(session: Session) -> None:
    admin = users.create_user(session, "admin", "Claire Martin", role=users.ADMIN)
    billing = users.create_user(session, "sophie", "Sophie Bernard", role=users.BILLING)
    session.info["user_id"] = billing.id
    with pytest.raises(PermissionDenied) as exc:
        catalog.save_account(session, None, "706900", "Divers")
    assert "Facturation" in str(exc.value) and "paramètres" in str(exc.value)
    with pytest.raises(PermissionDenied):
        costs.save_qualification(session, None, "AS1", "Agent de service")
    with pytest.raises(PermissionDenied):
        users.save_user(session, None, users.UserForm(login="x", full_name="X Y"))
    session.info["user_id"] = admin.id
    q = costs.save_qualification(session, None, "AS1", "Agent de service")
    costs.set_hourly_cost(session, q.id, dt.date(2026, 1, 1), "12.10", "38.5")
    from sqlalchemy import select

    from app.history import client_history  # events carry the user
    from models.audit import AuditEvent

    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "qualification")
    ).one()
    assert event.user_id == admin.id
    assert client_history(session, 0) == []
