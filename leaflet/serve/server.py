"""Starting the server: safe defaults checked before anything listens, then uvicorn.

One uvicorn process answers HTTP and checks requests; `--workers` render processes
(each loading content, styles and fonts once) share one bounded queue, so the load is
balanced and an overload is refused in one place. uvicorn stops cleanly on Ctrl-C and
SIGTERM: it stops accepting, lets requests in hand finish, then the render pool is shut
down (its processes ignore both signals and wait for that).
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress

from ..errors import LeafletError
from .app import Settings, create_app

MIN_TOKEN = 16
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_access(host: str, token: str | None) -> None:
    """Loopback needs nothing; any other address needs a token, or the server does not start."""
    if token is not None and len(token) < MIN_TOKEN:
        raise LeafletError(f"--token: too short ({len(token)} characters); use {MIN_TOKEN} or more, such as "
                           "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe())'")
    if not is_loopback(host) and token is None:
        raise LeafletError(f"--host {host}: listens beyond this machine, so it needs --token (or LEAFLET_TOKEN "
                           "in the environment); without one, anyone on the network could use it")


def log_config() -> dict:
    """uvicorn's logging, plus this package's access and error lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["leaflet.serve"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def run(host: str, port: int, settings: Settings) -> None:
    import uvicorn

    check_access(host, settings.token)
    if is_loopback(host):
        settings = dataclasses.replace(settings, allowed_hosts=LOOPBACK_HOSTS)
    app = create_app(settings)  # bad content or options fail here, before anything listens
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=log_config(), server_header=False,
                timeout_graceful_shutdown=max(1, int(settings.timeout) + 1),
                # longer than uvicorn's 5 s: clients and proxies that keep connections open
                # rarely race the server closing one
                timeout_keep_alive=30,
                # the last line of defence: past this many connections and requests uvicorn
                # itself answers 503 (the render queue, far smaller, answers first)
                limit_concurrency=max(256, 8 * settings.capacity))
