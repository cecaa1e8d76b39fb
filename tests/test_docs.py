"""The documents say only what is true of the code: every file, make target, command, address and
variable they name exists, and the tables that list what the code registers (events, process
copies) are the code's own lists. A rename that forgets a document fails here."""

import re
import uuid
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import resolve

from config import env
from idp.core import events, process_copies

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_DIRECTORIES = ("idp", "config", "tests", "docs", "scripts", "bench", "demos", "locale")
# Inline paths that are not the platform's addresses: a host's files, a business system's own
# addresses in the recipes, and the attacks docs/security.md names.
NOT_ADDRESSES = re.compile(r"^(/usr/|/etc/|/var/|/app/|/secret/|//|/\\|/\.+/$)")
SAMPLES = {"<id>": "1", "<uuid>": str(uuid.uuid4()), "<token>": "abc", "<what>": "login-name", "<code>": "gqrd"}


def _text(document: Path) -> str:
    return document.read_text(encoding="utf-8")


def _code(text: str) -> str:
    """What a document writes as code: fenced blocks and inline spans."""
    blocks = re.findall(r"```.*?```", text, flags=re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return "\n".join(blocks + spans)


def _each(pattern: str, source=_code):
    found = set()
    for document in DOCUMENTS:
        for match in re.findall(pattern, source(_text(document))):
            found.add((document.relative_to(ROOT).as_posix(), match))
    return sorted(found)


def _exists(path: str) -> bool:
    """`idp/core/middleware.LanguageMiddleware` names a module's member: the module must exist."""
    path = path.rstrip(".,:;)")
    while True:
        if (ROOT / path).exists():
            return True
        head, dot, _ = path.rpartition(".")
        if not dot or "/" not in head:
            return False
        if (ROOT / f"{head}.py").exists():
            return True
        path = head


@pytest.mark.parametrize(("document", "path"), _each(
    rf"(?<![\w/.=-])((?:{'|'.join(TOP_DIRECTORIES)})/[\w./-]*)", source=lambda text: text))
def test_every_file_named_exists(document, path):
    assert _exists(path), f"{document} names {path}, which does not exist"


def test_the_readme_is_a_front_door():
    lines = _text(ROOT / "README.md").splitlines()
    assert len(lines) < 200, "README.md grew past 200 lines: move the detail into docs/"
    for document in DOCUMENTS[1:]:
        assert document.relative_to(ROOT).as_posix() in "\n".join(lines), f"README.md does not lead to {document.name}"


@pytest.mark.parametrize(("document", "target"), _each(r"(?<![\w-])make ([a-z][\w-]*)"))
def test_every_make_target_exists(document, target):
    makefile = _text(ROOT / "Makefile")
    assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), f"{document}: no make target {target}"


@pytest.mark.parametrize(("document", "command"), _each(r"manage\.py ([a-z_]+)"))
def test_every_command_exists(document, command):
    assert command in get_commands(), f"{document}: no manage.py command {command}"


def _addresses():
    found = _each(r"`(?:(?:GET|POST) )?(/[^`\s]*)`", source=lambda text: re.sub(r"```.*?```", "", text, flags=re.S))
    return [(document, address) for document, address in found if not NOT_ADDRESSES.match(address)]


@pytest.mark.parametrize(("document", "address"), _addresses())
def test_every_address_named_is_served(document, address):
    path = address.split("?")[0]
    for placeholder, sample in SAMPLES.items():
        path = path.replace(placeholder, sample)
    assert "<" not in path, f"{document}: add a sample for the placeholder in {address}"
    if path.endswith("…"):  # `/oidc/…`: the addresses under a prefix
        prefix = path.rstrip("…").lstrip("/")
        assert any(pattern.startswith(prefix) for pattern in _every_pattern()), f"{document}: nothing under {address}"
    else:
        resolve(path)


def _every_pattern(patterns=None, prefix=""):
    from django.urls import URLResolver, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _every_pattern(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


@pytest.mark.parametrize(("document", "variable"), _each(r"\bIDP_[A-Z0-9_]+[A-Z0-9]", source=lambda text: text))
def test_every_variable_named_is_read(document, variable):
    if variable in env.DEFAULTS:
        return
    sources = [*ROOT.glob("idp/**/*.py"), *ROOT.glob("config/**/*.py"), *ROOT.glob("tests/**/*.py"),
               *ROOT.glob("bench/**/*.py"), *ROOT.glob("scripts/*.py"), ROOT / "Makefile", ROOT / ".ci/run"]
    assert any(variable in path.read_text(encoding="utf-8") for path in sources), \
        f"{document} names {variable}, which nothing reads"


def test_every_variable_is_documented_for_operators():
    operators = _text(ROOT / "docs/operators.md")
    missing = [name for name in env.DEFAULTS if name not in operators]
    assert not missing, f"docs/operators.md does not explain {missing}"


def _table_after(marker: str, document="docs/architecture.md") -> list[list[str]]:
    text = _text(ROOT / document)
    assert f"<!-- {marker} -->" in text, f"{document} lost its <!-- {marker} --> table"
    rows = []
    for line in text.split(f"<!-- {marker} -->", 1)[1].strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_events_table_is_the_code():
    import config.urls  # noqa: F401  every app ready: every subscription made

    documented = {row[0].strip("`"): re.findall(r"`([\w.]+)`", row[2]) for row in _table_after("events")}
    assert documented == events.subscriptions()


def test_the_process_copies_table_is_the_code():
    import config.urls  # noqa: F401  every module that keeps a copy imported

    rows = _table_after("process copies")
    assert sorted(row[0] for row in rows) == process_copies.names()
    for name, module, _ in rows:
        source = _text(ROOT / module.strip("`"))
        assert f'process_copies.register("{name}"' in source, f"{module} does not register {name!r}"
