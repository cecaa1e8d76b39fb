"""A browser's User-Agent in words a person recognises (登录设备, 登录记录): "Chrome · Windows".
Only the families people name; anything else is 其他浏览器 / 其他系统. The string is what the
browser claims, shown for recognition, never trusted for anything."""

import re

from django.utils.translation import gettext as _

# The first that matches wins: Edge and WeChat also say Chrome or Safari, Chrome also says Safari.
BROWSERS = [
    (r"MicroMessenger", "微信"), (r"Edg(e|A|iOS)?/", "Edge"), (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"), (r"HeadlessChrome/", "Chrome"), (r"Chrome/|CriOS/", "Chrome"),
    (r"Safari/", "Safari"),
]
SYSTEMS = [
    (r"Windows", "Windows"), (r"iPhone|iPad|iPod", "iOS"), (r"Mac OS X|Macintosh", "macOS"),
    (r"Android", "Android"), (r"HarmonyOS|OpenHarmony", "HarmonyOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
]


def _first(table, user_agent: str) -> str | None:
    return next((name for pattern, name in table if re.search(pattern, user_agent)), None)


def describe(user_agent: str) -> str:
    browser = _first(BROWSERS, user_agent or "")
    system = _first(SYSTEMS, user_agent or "")
    browser = _("微信") if browser == "微信" else browser or _("其他浏览器")
    return _("%(browser)s · %(system)s") % {"browser": browser, "system": system or _("其他系统")}
