"""The little web framework the demos share: cookie sessions held in memory, request
parsing, one page layout, and a threaded WSGI server."""

import html
import secrets
import threading
from http.cookies import SimpleCookie
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

COOKIE = "demo_session"


class Sessions:
    """Server-side sessions, so a back-channel logout can end one from another request."""

    def __init__(self):
        self._data: dict[str, dict] = {}
        self._lock = threading.Lock()

    def load(self, environ) -> tuple[str, dict]:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        key = cookie[COOKIE].value if COOKIE in cookie else ""
        with self._lock:
            if key not in self._data:
                key = secrets.token_urlsafe(24)
                self._data[key] = {}
            return key, self._data[key]

    def end_where(self, predicate) -> int:
        with self._lock:
            ended = [key for key, data in self._data.items() if predicate(data)]
            for key in ended:
                self._data[key] = {}
            return len(ended)


class Request:
    def __init__(self, environ):
        self.environ = environ
        self.method = environ["REQUEST_METHOD"]
        self.path = environ.get("PATH_INFO", "/") or "/"
        self.query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        self.form = {}
        if self.method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
            self.form = {k: v[0] for k, v in parse_qs(body).items()}

    @property
    def full_path(self) -> str:
        qs = self.environ.get("QUERY_STRING", "")
        return self.path + (f"?{qs}" if qs else "")


def respond(start_response, status: str, body: str = "", *, location: str = "", session_key: str = "",
            content_type: str = "text/html; charset=utf-8"):
    headers = [("Content-Type", content_type), ("Cache-Control", "no-store")]
    if location:
        headers.append(("Location", location))
    if session_key:
        headers.append(("Set-Cookie", f"{COOKIE}={session_key}; Path=/; HttpOnly; SameSite=Lax"))
    start_response(status, headers)
    return [body.encode("utf-8")]


def page(title: str, body: str) -> str:
    return f"""<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}}
header{{border-bottom:3px solid #1f5fa8;margin-bottom:1.5rem}} h1{{color:#1f5fa8}}
dl{{display:grid;grid-template-columns:9rem 1fr;gap:.4rem 1rem}} dt{{color:#666}}
.button{{display:inline-block;background:#1f5fa8;color:#fff;padding:.5rem 1.2rem;border-radius:4px;
text-decoration:none}} .muted{{color:#777}}</style></head>
<body><header><h1>{html.escape(title)}</h1><p class="muted">演示业务系统 · 通过政务服务平台统一身份认证登录</p></header>
{body}</body></html>"""


def identity_html(claims: dict) -> str:
    """Who is signed in and for whom, from the platform's claims (or CAS attributes)."""
    e = html.escape
    acting = claims.get("act") or ({"name": claims["act_name"]} if claims.get("act_name") else None)
    rows = []
    if acting:
        rows += [("当前用户", acting["name"]), ("办理身份", f"代 {claims.get('org_name', '')} 办理"),
                 ("单位名称", claims.get("org_name", "")), ("统一社会信用代码", claims.get("uscc", ""))]
    elif claims.get("account_type") == "legal":
        rows += [("当前用户", claims.get("name", "")), ("办理身份", "法人(本单位)"),
                 ("统一社会信用代码", claims.get("uscc", ""))]
    else:
        rows += [("当前用户", claims.get("name", "")), ("办理身份", "本人")]
    rows.append(("实名认证", "已实名" if str(claims.get("realname_verified")).lower() == "true" else "未实名"))
    cells = "".join(f"<dt>{e(k)}</dt><dd data-field=\"{e(k)}\">{e(str(v))}</dd>" for k, v in rows)
    return f'<p role="status">已登录</p><dl>{cells}</dl>'


def home_page(title: str, claims: dict | None, path: str) -> str:
    """The demo's page: who is signed in and for whom, or a sign-in button."""
    if claims is None:
        return page(title, '<p role="status">未登录</p>'
                           '<p><a class="button" href="/login">使用统一身份认证登录</a></p>')
    where = f'<p class="muted">当前事项入口:{html.escape(path)}</p>' if path != "/" else ""
    return page(title, identity_html(claims) + where + '<p><a class="button" href="/logout">退出登录</a></p>')


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(app, host: str, port: int):
    """A threaded server (the platform's back-channel calls arrive while a page is loading)."""
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
