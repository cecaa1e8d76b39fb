"""The recipes of docs/integrators.md, exactly as printed there (issue 25: a pasted recipe failed
Apache's config check, lacked mod_proxy and left forged CAS-* headers through). A recipe is the
fenced block after a `<!-- recipe: NAME -->` line; only the example host names, the secret and
the paths of this machine are replaced."""

import io
import re
import shlex
from pathlib import Path

from django.core.management import call_command

from tests.interop.servers import Apache

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrators.md"
IDP, APP, APP_BACKEND = "https://idp.example.gov.cn", "https://app.example.gov.cn", "http://127.0.0.1:9000"
APPLICATION_DEFAULTS = ["mpm_event", "authz_core", "authn_core", "authz_user", "headers", "env", "setenvif"]


def recipe(name: str) -> str:
    match = re.search(rf"<!-- recipe: {re.escape(name)} -->\n```\w*\n(.*?)\n```", DOC.read_text(encoding="utf-8"),
                      re.S)
    assert match, f"docs/integrators.md has no recipe {name!r}"
    return match.group(1)


def filled(text: str, *, platform: str, app: str, backend: str = "", **placeholders) -> str:
    """The recipe with this machine's addresses and the placeholders' values."""
    text = text.replace(re.escape(APP), re.escape(app)).replace(IDP, platform).replace(APP, app)
    if backend:
        text = text.replace(APP_BACKEND, backend)
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    return text


def register(name: str, **addresses) -> dict:
    """Run a `python manage.py …` recipe as an operator would; returns what it printed (name: value)."""
    command = shlex.split(filled(recipe(name), **addresses).replace("\\\n", " "))
    assert command[:2] == ["python", "manage.py"], command
    out = io.StringIO()
    call_command(*command[2:], stdout=out)
    return dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)


def modules(name: str) -> list[str]:
    """The modules an `a2enmod …` recipe enables."""
    words = shlex.split(recipe(name))
    assert words[0] == "a2enmod", words
    return words[1:]


def start_apache(tmp_path, *, modules_recipe: str, config_recipe: str, port: int, host: str = "127.0.0.1",
                 **values) -> Apache:
    """Apache with Debian's default modules, the recipe's modules and the recipe's configuration
    (the application's address: http://<host>:<port>)."""
    config = filled(recipe(config_recipe), app=f"http://{host}:{port}", **values)
    return Apache(tmp_path, [*APPLICATION_DEFAULTS, *modules(modules_recipe)], config, port)
