"""« Contrôle fait »: the control of a month (M against M-1, :func:`control_month`) marked
done by someone, once its anomalies are examined.

The mark keeps the month's total HT and its number of anomalies at that moment. If the month
changes afterwards (drafts recomputed, corrected, another run), the control's total differs
from the marked one and the state reads « à refaire »: the mark never vouches for figures it
did not see. Marking again replaces the mark (one per month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock
from app.control.month import MonthControl, control_month, period_bounds
from app.errors import StateError
from app.i18n import _, ngettext
from models.billing import BillingRun
from models.collections import ControlMark
from models.users import User

DONE, TO_REDO, TO_DO = "done", "to_redo", "to_do"


@dataclass(frozen=True)
class ControlState:
    period: str
    state: str  # DONE, TO_REDO (marked, month changed since), TO_DO
    anomalies: int  # what the control says now
    done_by: str = ""
    done_at: dt.datetime | None = None

    @property
    def done(self) -> bool:
        return self.state == DONE

    def text(self) -> str:
        """« fait le 05/11/2026 par Sophie Martin » / « à refaire … » / « à faire … »."""
        month = f"{self.period[5:]}/{self.period[:4]}"
        gaps = (
            ngettext("{n} écart à examiner", "{n} écarts à examiner", self.anomalies).format(
                n=self.anomalies
            )
            if self.anomalies
            else _("aucun écart")
        )
        if self.state == TO_DO:
            return _("Contrôle de {month} : à faire, {gaps}").format(month=month, gaps=gaps)
        when = self.done_at.astimezone().strftime("%d/%m/%Y") if self.done_at else ""
        who = self.done_by or _("un utilisateur")
        if self.state == TO_REDO:
            return _(
                "Contrôle de {month} : à refaire (facturation modifiée depuis le {when}), {gaps}"
            ).format(month=month, when=when, gaps=gaps)
        return _("Contrôle de {month} : fait le {when} par {who}").format(
            month=month, when=when, who=who
        )


def _mark(session: Session, period: str) -> ControlMark | None:
    return session.scalar(select(ControlMark).where(ControlMark.period == period))


def control_state(
    session: Session, period: str, control: MonthControl | None = None
) -> ControlState:
    control = control or control_month(session, period)
    mark = _mark(session, control.period)
    n = len(control.anomalies)
    if mark is None:
        return ControlState(control.period, TO_DO, n)
    same = mark.total_ht == control.total_current and mark.anomalies == n
    return ControlState(
        control.period, DONE if same else TO_REDO, n, mark.done_by, _aware(mark.done_at)
    )


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def mark_control_done(session: Session, period: str) -> ControlState:
    """The current user marks the control of ``period`` done (its anomalies examined)."""
    first, _last = period_bounds(period)
    period = f"{first:%Y-%m}"
    if session.scalar(select(BillingRun.id).where(BillingRun.period == period).limit(1)) is None:
        raise StateError(
            _("Le mois {month} n'a pas encore été facturé : rien à contrôler.").format(
                month=f"{period[5:]}/{period[:4]}"
            )
        )
    control = control_month(session, period)
    user_id = audit.current_user_id(session)
    user = session.get(User, user_id) if user_id else None
    mark = _mark(session, period) or ControlMark(period=period)
    mark.done_by_id = user.id if user else None
    mark.done_by = user.full_name if user else ""
    mark.done_at = clock.now()
    mark.total_ht = control.total_current
    mark.anomalies = len(control.anomalies)
    session.add(mark)
    session.flush()
    audit.record(
        session,
        "control_mark",
        mark.id,
        "mark",
        ngettext(
            "Contrôle de {period} marqué fait ({n} écart examiné)",
            "Contrôle de {period} marqué fait ({n} écarts examinés)",
            mark.anomalies,
        ).format(period=period, n=mark.anomalies),
    )
    return control_state(session, period, control)
