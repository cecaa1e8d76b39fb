"""CONTRACT.md: register an upstream identity provider (the platform as its OIDC relying party)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from idp.federation import registration

OPTIONAL = ["scopes", "name_claim", "id_number_claim", "id_type_claim", "default_id_type", "uscc_claim",
            "verified_claim", "phone_claim", "order"]


class Command(BaseCommand):
    help = "登记外部身份提供方(本平台作为其 OpenID Connect 依赖方),登录页显示“使用<名称>登录”"

    def add_arguments(self, parser):
        parser.add_argument("--protocol", required=True, choices=["oidc"])
        parser.add_argument("--code", required=True, help="代码;回调地址为 <IDP_ISSUER>/federation/<代码>/callback")
        parser.add_argument("--name", required=True, help="名称,例如 全国一体化政务服务平台")
        parser.add_argument("--issuer", required=True, help="Issuer(其 /.well-known/openid-configuration 所在)")
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True)
        parser.add_argument("--scopes", default=None, help="默认 openid profile")
        parser.add_argument("--kinds", default=None, choices=["natural", "legal", "both"],
                            help="适用的登录窗口(默认 both:自然人登录与法人登录都显示)")
        parser.add_argument("--name-claim", default=None, help="姓名(法人:单位名称)声明,默认 name")
        parser.add_argument("--id-number-claim", default=None, help="已核验证件号码所在声明,例如 id_number")
        parser.add_argument("--id-type-claim", default=None, help="证件类型代码所在声明(值如 resident_id)")
        parser.add_argument("--default-id-type", default=None, help="无证件类型声明时的证件类型,默认 resident_id")
        parser.add_argument("--uscc-claim", default=None, help="统一社会信用代码所在声明(法人)")
        parser.add_argument("--verified-claim", default=None,
                            help="为 true 时才视证件号码/统一社会信用代码为已核验的声明,例如 id_verified")
        parser.add_argument("--phone-claim", default=None, help="手机号码声明,默认 phone_number")
        parser.add_argument("--trusted", action="store_true",
                            help="信任其实名核验:核验过的号码可关联本平台已实名账号、新注册账号即时实名")
        parser.add_argument("--untrusted", action="store_true", help="取消信任")
        parser.add_argument("--order", type=int, default=None, help="登录页按钮顺序(小的在前)")
        parser.add_argument("--disable", action="store_true", help="停用(登录页不再显示)")
        parser.add_argument("--no-discovery", action="store_true", help="登记时不访问其发现文档(上游暂不可达)")

    def handle(self, *args, **opts):
        if opts["trusted"] and opts["untrusted"]:
            raise CommandError("--trusted 与 --untrusted 不能同时使用")
        fields = {"protocol": opts["protocol"], "name": opts["name"], "issuer": opts["issuer"],
                  "client_id": opts["client_id"], "client_secret": opts["client_secret"],
                  "enabled": not opts["disable"]}
        fields.update({name: opts[name] for name in OPTIONAL if opts[name] is not None})
        if opts["kinds"] is not None:
            fields["kinds"] = opts["kinds"]
        if opts["trusted"] or opts["untrusted"]:
            fields["trusted"] = opts["trusted"]
        try:
            provider, created, warnings = registration.register(code=opts["code"], fields=fields,
                                                      fetch=not opts["no_discovery"])
        except registration.RegistrationError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"{'registered' if created else 'updated'} {provider.code} ({provider.name})")
        self.stdout.write(f"redirect_uri: {provider.redirect_uri}")
        self.stdout.write(f"backchannel_logout_uri: {provider.backchannel_logout_uri}")
        self.stdout.write(f"post_logout_redirect_uri: {provider.redirect_uri.rsplit('/federation/', 1)[0]}/login/")
        self.stdout.write(f"trusted: {'yes' if provider.trusted else 'no'}; kinds: {provider.kinds}")

