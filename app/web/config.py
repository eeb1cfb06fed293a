"""The settings of ``medkg serve``: where it listens, TLS, sessions, the login limit, the search's linker.

Example:
    >>> WebConfig().host, WebConfig().port, WebConfig().tls
    ('127.0.0.1', 8000, False)
    >>> WebConfig(host="0.0.0.0").loopback
    False
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, model_validator

from core.config import FrozenConfig

__all__ = ["WebConfig"]


class WebConfig(FrozenConfig):
    """How the web application listens and guards its sessions (``medkg serve`` options; the rest defaults)."""

    host: str = "127.0.0.1"
    """Address to listen on; anything but loopback needs TLS or ``insecure_http`` (:func:`app.web.server.serve`)."""

    port: int = Field(default=8000, ge=1, le=65535)
    """TCP port."""

    tls_cert: Path | None = None
    """PEM certificate (chain) for HTTPS; given together with ``tls_key``."""

    tls_key: Path | None = None
    """PEM private key for HTTPS."""

    insecure_http: bool = False
    """Serve plain HTTP beyond loopback (passwords and cookies then cross the network readable)."""

    session_idle_s: float = Field(default=8 * 3600, gt=0)
    """A session ends after this many seconds without a request."""

    max_sessions: int = Field(default=10_000, ge=1)
    """Most open sessions; the least recently used goes first beyond it."""

    login_attempts: int = Field(default=5, ge=1)
    """Failed logins of one name from one client within ``login_window_s`` before further tries are refused."""

    login_window_s: float = Field(default=900.0, gt=0)
    """The window the failed logins are counted in (and how long the refusal lasts)."""

    login_hashes: int = Field(default=4, ge=1)
    """Password checks (argon2id, 64 MiB each while it runs) at once; further logins wait for a free one."""

    linker_refresh_s: float = Field(default=600.0, ge=0)
    """The search's linker is rebuilt from the graph's concepts when older than this, in the background while the
    old one keeps answering (0: before every search)."""

    overview_ttl_s: float = Field(default=60.0, ge=0)
    """The overview's sections are read again when older than this (0: on every visit)."""

    query_timeout_s: float = Field(default=15.0, gt=0)
    """Seconds one page's statement may run on the server."""

    adhoc_cypher_for_viewers: bool = False
    """Offer the ad-hoc Cypher box to viewers too (curators always have it); it runs through the read-only runner."""

    @model_validator(mode="after")
    def _tls_pair(self) -> WebConfig:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give --tls-cert and --tls-key together")
        return self

    @property
    def tls(self) -> bool:
        """HTTPS (a certificate and key are given)."""
        return self.tls_cert is not None

    @property
    def loopback(self) -> bool:
        """The host is a loopback address or ``localhost``: only this machine can connect."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False
