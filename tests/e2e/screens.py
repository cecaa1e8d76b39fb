"""Screenshots of what the browser tests walk, for people to look at: var/screenshots/experience/."""

from pathlib import Path

from django.conf import settings

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots" / "experience"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    assert (SHOTS / f"{name}.png").stat().st_size > 1000
