"""CONTRACT.md: register a business system (relying party) and print its client id/secret.

It lives with provisioning, the top of what it configures: the sign-on client (sso/clients.py)
and, with --scim-url, the system's SCIM target (scim.py); registration.py checks the options."""

from django.core.management.base import BaseCommand, CommandError

from idp.provisioning.registration import SystemOptions, register_system
from idp.sso.clients import RegistrationError


class Command(BaseCommand):
    help = "登记业务系统(OIDC 客户端、CAS 服务或 SAML 服务提供方),输出 client_id 与 client_secret(仅显示一次)"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="业务系统名称,例如 高企认定")
        parser.add_argument("--protocol", required=True, choices=["oidc", "cas", "saml"])
        parser.add_argument("--code", default="", help="代码(也是 client_id);默认由名称生成")
        parser.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris",
                            help="OIDC 回调地址,完全匹配;可重复")
        parser.add_argument("--post-logout-redirect-uri", action="append", default=[],
                            dest="post_logout_redirect_uris", help="OIDC 退出后回调地址;可重复")
        parser.add_argument("--backchannel-logout-uri", default="", help="OIDC 后端通道退出地址")
        parser.add_argument("--service", default="", dest="service_pattern",
                            help="CAS 服务地址(完全匹配),或以 ^ 开头、$ 结尾的锚定正则表达式")
        parser.add_argument("--proxy-to", action="append", default=[], dest="proxy_targets",
                            help="CAS:允许本服务代理访问的业务系统 client_id(可多次);默认不允许代理")
        parser.add_argument("--metadata", default=None, help="SAML:服务提供方元数据文件(XML)")
        parser.add_argument("--saml-sign", default=None, choices=["both", "response", "assertion"],
                            help="SAML:签名响应、断言或两者(默认两者)")
        parser.add_argument("--saml-encryption", default=None, choices=["aes256-gcm", "aes128-cbc"],
                            help="SAML:服务提供方有加密证书时的断言加密算法(默认 aes256-gcm)")
        parser.add_argument("--relay-state", default=None, help="SAML:平台发起登录(/saml/launch/<code>)时的 RelayState")
        parser.add_argument("--public", action="store_true", help="公开客户端(无密钥,必须 PKCE)")
        parser.add_argument("--id-token-alg", default=None, choices=["RS256", "ES256"],
                            help="ID Token 签名算法(默认 RS256;access token 为 ES256)")
        parser.add_argument("--signing-alg", default=None, choices=["SM2"],
                            help="国密:该系统的 ID token、access token 与 logout token 均以 SM2(SM3)签名")
        parser.add_argument("--third-party", action="store_true",
                            help="非平台自有系统:用户每次登录时须确认授权(默认免确认)")
        # System settings: a new system gets the defaults; re-keying an existing one changes only
        # the settings given here.
        parser.add_argument("--entrance-url", default=None, help="业务系统首页(服务事项的办理入口)")
        parser.add_argument("--no-realname", action="store_true", help="不要求实名认证(默认要求)")
        parser.add_argument("--kinds", default=None, help="可进入的用户类型:natural,legal(默认两者)")
        parser.add_argument("--delegable", action="store_true", help="法人可授权自然人代办")
        parser.add_argument("--scim-url", default=None, help="SCIM 2.0 推送:业务系统的 SCIM 服务地址(…/scim/v2)")
        parser.add_argument("--scim-token", default=None, help="SCIM 推送:访问该服务的 Bearer 令牌")
        parser.add_argument("--scim-dry-run", action="store_true", help="SCIM 推送试运行:只记录将发送的内容")

    def handle(self, *args, **opts):
        kinds = None
        if opts["kinds"] is not None:
            kinds = {k.strip() for k in opts["kinds"].split(",") if k.strip()}
        metadata = None
        if opts["protocol"] == "saml" and opts["metadata"] is not None:
            try:
                with open(opts["metadata"], "rb") as file:
                    metadata = file.read()
            except OSError as exc:
                raise CommandError(f"--metadata: {exc}") from None
        options = SystemOptions(
            name=opts["name"], protocol=opts["protocol"], code=opts["code"], redirect_uris=opts["redirect_uris"],
            post_logout_redirect_uris=opts["post_logout_redirect_uris"],
            backchannel_logout_uri=opts["backchannel_logout_uri"], service_pattern=opts["service_pattern"],
            proxy_targets=opts["proxy_targets"], metadata=metadata, saml_sign=opts["saml_sign"],
            saml_encryption=opts["saml_encryption"], relay_state=opts["relay_state"], public=opts["public"],
            id_token_alg=opts["id_token_alg"], signing_alg=opts["signing_alg"], third_party=opts["third_party"],
            entrance_url=opts["entrance_url"], requires_realname=False if opts["no_realname"] else None,
            kinds=kinds, delegable=True if opts["delegable"] else None, scim_url=opts["scim_url"],
            scim_token=opts["scim_token"], scim_dry_run=opts["scim_dry_run"])
        try:
            registration = register_system(options)
        except RegistrationError as exc:
            option = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
            raise CommandError(f"{option}{exc}") from None
        self.stdout.write(f"business_system: {registration.system.name} ({registration.system.code})")
        self.stdout.write(f"protocol: {registration.system.protocol}")
        self.stdout.write(f"client_id: {registration.client.client_id}")
        if registration.secret:
            self.stdout.write(f"client_secret: {registration.secret}")
        if options.scim_url:
            self.stdout.write(f"scim: {options.scim_url}" + (" (dry run)" if options.scim_dry_run else ""))
