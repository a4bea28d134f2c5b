"""Start-up prompt when another workstation holds the database (see :mod:`app.lease`)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from app.db import Database
from app.i18n import _
from app.lease import HEARTBEAT_EVERY, Lease, LeaseHeld, acquire

READ_ONLY = "read_only"
CANCEL = "cancel"


def take_lease(db: Database, parent: QWidget | None = None) -> str | Lease | None:
    """Take the lease of ``db``'s file, asking the user when another workstation holds it.

    Returns the :class:`Lease` (kept alive by a heartbeat until the application quits),
    ``None`` when there is nothing to lease (not a SQLite file, already read-only),
    :data:`READ_ONLY` when the user chose to open read-only, :data:`CANCEL` otherwise.
    """
    if db.path is None or db.read_only:
        return None
    take_over = False
    while True:
        try:
            lease = acquire(db.path, take_over=take_over)
        except LeaseHeld as held:
            choice = _ask(held, parent)
            if choice == "wait":
                continue
            if choice == "take_over":
                take_over = True
                continue
            return choice
        _keep_alive(lease)
        db.info["lease"] = lease
        return lease


def _ask(held: LeaseHeld, parent: QWidget | None) -> str:
    box = QMessageBox(parent)
    box.setWindowTitle("Propreo")
    box.setIcon(QMessageBox.Icon.Warning)
    if held.stale:
        box.setText(
            _("{text}, mais ce poste ne donne plus signe de vie (arrêt brutal ?).").format(
                text=held.holder.describe()
            )
        )
        box.setInformativeText(
            _(
                "Reprenez la session seulement si vous êtes certain que personne ne travaille "
                "plus sur ce poste."
            )
        )
    else:
        box.setText(held.holder.describe() + ".")
        box.setInformativeText(
            _("Vous pouvez ouvrir la base en lecture seule, ou attendre que ce poste la ferme.")
        )
    read_only = box.addButton(_("Ouvrir en lecture seule"), QMessageBox.ButtonRole.AcceptRole)
    wait = box.addButton(_("Réessayer"), QMessageBox.ButtonRole.ActionRole)
    take = None
    if held.stale:
        take = box.addButton(_("Reprendre la session…"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(_("Annuler"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if clicked is read_only:
        return READ_ONLY
    if clicked is wait:
        return "wait"
    if take is not None and clicked is take:
        sure = QMessageBox.question(
            parent,
            "Propreo",
            _("Confirmez-vous que le poste {host} n'utilise plus la base ?").format(
                host=held.holder.host
            ),
        )
        return "take_over" if sure == QMessageBox.StandardButton.Yes else CANCEL
    return CANCEL


def _keep_alive(lease: Lease) -> None:
    app = QCoreApplication.instance()
    if app is None:
        return
    timer = QTimer(app)
    timer.setInterval(int(HEARTBEAT_EVERY.total_seconds() * 1000))
    timer.timeout.connect(lease.heartbeat)
    timer.start()
    app.aboutToQuit.connect(timer.stop)
    app.aboutToQuit.connect(lease.release)


def release(db: Database) -> None:
    lease = db.info.pop("lease", None)
    if isinstance(lease, Lease):
        lease.release()
