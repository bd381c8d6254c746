"""Notices the network coming back (Qt's network information), so sync runs at once."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QNetworkInformation

log = logging.getLogger(__name__)

Reachability = QNetworkInformation.Reachability
ONLINE = (Reachability.Online, Reachability.Site)
"""Reachabilities in which a server on the internet or the local network may answer."""


class NetworkWatch(QObject):
    """Emits ``back_online`` when the computer goes from no network to some network."""

    back_online = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reachability = Reachability.Unknown
        self.available = False

    def start(self) -> None:
        """Follow the OS's network state, where Qt has a backend for it (else do nothing)."""
        try:
            loaded = QNetworkInformation.loadBackendByFeatures(
                QNetworkInformation.Feature.Reachability
            )
        except Exception:  # a broken platform plugin must never stop the app
            log.exception("network information unavailable")
            loaded = False
        info = QNetworkInformation.instance() if loaded else None
        if info is None:
            return  # the interval and the wake check still run sync
        self.available = True
        self.reachability = info.reachability()
        info.reachabilityChanged.connect(self.changed)

    def changed(self, reachability: QNetworkInformation.Reachability) -> None:
        was = self.reachability
        self.reachability = reachability
        if reachability in ONLINE and was not in ONLINE:
            self.back_online.emit()
