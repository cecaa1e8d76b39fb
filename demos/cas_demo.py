"""科小企评价 (demo): a business system that signs on with CAS 3.0 through python-cas and
honours CAS single logout (the platform's SAML LogoutRequest names the service ticket).

    python -m demos.cas_demo   (make run starts it on IDP_DEMO_CAS_URL)
"""


from cas import CASClient

from demos import common


class CasDemo:
    def __init__(self, *, platform_url: str, base_url: str, title: str = "科小企评价(演示)"):
        self.base_url, self.title = base_url.rstrip("/"), title
        self.service_url = self.base_url + "/callback"
        self.cas = CASClient(version=3, service_url=self.service_url, server_url=platform_url.rstrip("/") + "/cas/")
        self.sessions = common.Sessions()

    def close(self) -> None:
        self.cas.session.close()

    def __call__(self, environ, start_response):
        request = common.Request(environ)
        key, session = self.sessions.load(environ)

        def reply(status, body="", **kw):
            return common.respond(start_response, status, body, session_key=key, **kw)

        if request.path == "/callback" and request.method == "POST":
            # CAS single logout: end the session that was opened with this ticket.
            indexes = self.cas.get_saml_slos(request.form.get("logoutRequest", "")) or []
            tickets = {element.text for element in indexes}
            self.sessions.end_where(lambda data: data.get("ticket") in tickets)
            return common.respond(start_response, "200 OK", "", content_type="text/plain")
        if request.path == "/callback":
            ticket = request.query.get("ticket", "")
            if not ticket:
                return reply("302 Found", location="/")
            user, attributes, _ = self.cas.verify_ticket(ticket)
            if not user:
                return reply("400 Bad Request", common.page(self.title, "<p>票据无效,请重新登录。</p>"
                                                           '<p><a class="button" href="/login">重新登录</a></p>'))
            session.update(user=user, claims=attributes or {}, ticket=ticket)
            return reply("302 Found", location=session.pop("next", "/"))
        if request.path == "/login":
            session["next"] = request.query.get("next", "/")
            return reply("302 Found", location=self.cas.get_login_url())
        if request.path == "/logout":
            session.clear()
            return reply("302 Found", location=self.cas.get_logout_url(redirect_url=self.service_url))
        if "user" not in session and request.path != "/":
            session["next"] = request.full_path
            return reply("302 Found", location=self.cas.get_login_url())
        return reply("200 OK", common.home_page(self.title, session.get("claims"), request.path))


def main():
    from demos import settings

    config = settings.load("cas")
    app = CasDemo(platform_url=config["issuer"], base_url=config["base_url"])
    host, port = settings.host_port(config["base_url"])
    print(f"科小企评价(CAS 演示)listening on {config['base_url']}", flush=True)
    common.serve(app, host, port).serve_forever()


if __name__ == "__main__":
    main()
