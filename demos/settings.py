"""Where the demos find the platform and their registration: `load_demo` writes
var/demo-clients.json (client id and secret) after registering them."""

import json
from urllib.parse import urlsplit

from config import env


def load(which: str) -> dict:
    registered = json.loads((env.VAR_DIR / "demo-clients.json").read_text(encoding="utf-8"))[which]
    return {"issuer": env.get("IDP_ISSUER").rstrip("/"), **registered}


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80
