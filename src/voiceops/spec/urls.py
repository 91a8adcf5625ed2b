"""Checks of a connection's base URL: credentials go only over https, except to loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be a connection's base URL, or None. The message never repeats the
    URL: it may hold a password."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return "base_url is not a valid URL (check the brackets around an IPv6 host and the port)"
    if not url.isascii() or not url.isprintable() or " " in url:
        return "base_url must not contain spaces, control or non-ASCII characters"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "base_url must be an https:// URL with a host name"
    if "@" in parts.netloc:
        # httpx would turn user info into Basic auth, replacing the connection's credentials.
        return (
            "base_url must not contain user info (user:password@); credentials come from "
            "the environment variables the connection names"
        )
    if parts.query or parts.fragment or url.rstrip("/").endswith(("?", "#")):
        return "base_url must not contain a query (?…) or a fragment (#…)"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "base_url must use https:// (plain http is allowed only for loopback hosts)"
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
