"""Issue 25: the login page showed a template comment as text — a `{# … #}` that spans lines is
not a comment in Django. No template may have one (the crawl in tests/security/test_fuzz_forms.py
checks the rendered pages too)."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "idp").glob("**/templates/**/*.html"))


def test_every_template_comment_closes_on_its_own_line():
    unclosed = [f"{path.relative_to(settings.BASE_DIR)}:{number}"
                for path in TEMPLATES
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if len(re.findall(r"\{#", line)) != len(re.findall(r"#\}", line))]
    assert TEMPLATES and unclosed == []
