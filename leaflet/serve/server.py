"""Starting the server: safe defaults checked before anything listens, then uvicorn.

uvicorn runs `--workers` processes; each builds its own application (`from_environment`)
and so loads content, styles and fonts once. uvicorn stops cleanly on Ctrl-C and
SIGTERM: it stops accepting, lets requests in hand finish, then each worker's render
pool is shut down.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import json
import os
from pathlib import Path

from ..errors import LeafletError
from .app import Guard, Settings, create_app

SETTINGS_VARIABLE = "LEAFLET_SERVE_SETTINGS"
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


def from_environment() -> Guard:
    """uvicorn's application factory, run once in each worker process."""
    raw = json.loads(os.environ[SETTINGS_VARIABLE])
    raw["content_dir"] = Path(raw["content_dir"])
    raw["allowed_hosts"] = tuple(raw["allowed_hosts"])
    return create_app(Settings(**raw))


def log_config() -> dict:
    """uvicorn's logging, plus this package's access and error lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["leaflet.serve"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def run(host: str, port: int, workers: int, settings: Settings) -> None:
    import uvicorn

    check_access(host, settings.token)
    if is_loopback(host):
        settings = dataclasses.replace(settings, allowed_hosts=LOOPBACK_HOSTS)
    create_app(dataclasses.replace(settings, warm_up=False))  # bad content or options: fail here, once
    os.environ[SETTINGS_VARIABLE] = json.dumps({**dataclasses.asdict(settings),
                                                "content_dir": str(settings.content_dir)})
    uvicorn.run("leaflet.serve.server:from_environment", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_config=log_config(), server_header=False,
                timeout_graceful_shutdown=max(1, int(settings.timeout) + 1))
