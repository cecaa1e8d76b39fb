"""Settings shared by every environment. Deployment values come from config.env only."""

import shutil
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from config import env

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR
VAR_DIR.mkdir(exist_ok=True)

SECRET_KEY = env.get("IDP_SECRET_KEY")
DEBUG = env.get_bool("IDP_DEBUG")
ALLOWED_HOSTS = env.get_list("IDP_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "captcha",
    "django_q",
    "idp.core",
    "idp.audit",
    "idp.identifiers",
    "idp.notify",
    "idp.accounts",
    "idp.realname",
    "idp.catalogue",
    "idp.entrance",
    "idp.delegation",
    "idp.recovery",
    "idp.ratings",
    "idp.portal",
    "idp.legacy",
    "idp.demo",  # load_demo: development data, imported by nothing
    "idp.sso",
    "idp.oidc",
    "idp.cas",
    "idp.saml",
    "idp.federation",
    "idp.provisioning",
    "idp.console",
    "idp.api",
]

# Two middleware lists, one entry point (config/entry.py). Pages people see and the protocol
# steps their browsers take:
MIDDLEWARE = [
    "idp.core.request_body.BodyLimitMiddleware",
    "idp.core.middleware.StorableTextMiddleware",
    "idp.core.after_response.AfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "idp.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "idp.sso.params.ProtocolParametersMiddleware",  # before any protocol view (CSRF checks come later)
    "django.contrib.messages.middleware.MessageMiddleware",
    "idp.accounts.timeouts.SessionTimeoutMiddleware",  # 等保: idle and absolute session limits
    "idp.accounts.roles.StaffPasswordAgeMiddleware",  # 等保: staff change their passwords
    "idp.saml.slo.PlatformLogoutRound",  # a logout's browser round through SAML providers
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "idp.core.middleware.SecurityHeadersMiddleware",
    "idp.core.middleware.MethodNotAllowedPageMiddleware",
    "idp.core.requestlog.AccountForLogMiddleware",
]
# The endpoints business systems' back ends and the probes call: no session, cookie, CSRF or
# template, so none of the middleware that serves them.
MACHINE_PATHS = [
    "/.well-known/openid-configuration", "/oidc/jwks", "/oidc/token", "/oidc/introspect", "/oidc/revoke",
    "/oidc/userinfo", "/cas/validate", "/cas/serviceValidate", "/cas/proxyValidate", "/cas/p3/serviceValidate",
    "/cas/p3/proxyValidate", "/cas/proxy", "/saml/metadata", "/health/live", "/health/ready", "/metrics",
]
MACHINE_MIDDLEWARE = [
    "idp.core.machine.MachineMiddleware",  # body limit, host check, language, security headers
    "idp.sso.params.ProtocolParametersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "idp.core.context_processors.platform",
            ],
        },
    },
]

DATABASES = {"default": env.DatabaseUrl(env.get("IDP_DATABASE_URL")).django()}
# A streaming standby for the pages that tolerate lag (idp/core/replica.py, docs/deploy.md).
if env.get("IDP_DATABASE_REPLICA_URL"):
    DATABASES["replica"] = env.DatabaseUrl(env.get("IDP_DATABASE_REPLICA_URL")).django()
DATABASE_ROUTERS = ["idp.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.get("IDP_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "idp.core.cache.PlatformRedisCache",
            "LOCATION": [REDIS_URL],  # one server: a Sentinel URL's commas are not a list of servers
            "KEY_PREFIX": "idp",
        }
    }
    SESSION_ENGINE = "idp.core.sessions"  # Django's cache store in fewer round trips
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["idp.accounts.auth.LoginNameBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/online/"
# argon2id first (OWASP m=19 MiB, t=2, p=1); the others only verify hashes made elsewhere —
# the legacy platform's five formats ("密码不变") — and are re-hashed at the first login.
# IDP_CRYPTO_SUITE=gm (国密): new hashes are argon2id over HMAC-SM3 with a pepper (accounts/hashers.py);
# every earlier hash still verifies and is re-hashed at the next login — and back again, the other way.
IDP_CRYPTO_SUITE = env.get("IDP_CRYPTO_SUITE")
if IDP_CRYPTO_SUITE not in ("international", "gm"):
    raise ImproperlyConfigured("IDP_CRYPTO_SUITE must be international or gm")
_ARGON2 = ["idp.accounts.hashers.Argon2idHasher", "idp.accounts.hashers.Argon2idSM3PepperHasher"]
PASSWORD_HASHERS = [
    *(reversed(_ARGON2) if IDP_CRYPTO_SUITE == "gm" else _ARGON2),
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "idp.legacy.hashers.LegacyUnsaltedMD5Hasher",
    "idp.legacy.hashers.LegacySaltedMD5Hasher",
    "idp.legacy.hashers.LegacySHA256Hasher",
    "idp.legacy.hashers.LegacyBcryptHasher",
    "idp.legacy.hashers.WrappedUnsaltedMD5Hasher",
    "idp.legacy.hashers.WrappedSaltedMD5Hasher",
    "idp.legacy.hashers.WrappedSHA256Hasher",
]
AUTH_PASSWORD_VALIDATORS = [{"NAME": "idp.accounts.passwords.PlatformPasswordValidator"}]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Request bodies: at most this much of form fields (a larger body is refused before it is read,
# idp/core/request_body.py), and no file part ever on disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = ["idp.core.request_body.DropFiles"]  # views that take files say so (@accepts_files)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Chinese is the source language and the default; English is chosen with the header's switch
# (a cookie), never guessed from the browser (idp/core/middleware.LanguageMiddleware).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Mail (e-mail reset codes): written to files under var/mail unless a real backend is set.
EMAIL_BACKEND = env.get("IDP_EMAIL_BACKEND")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env.get("IDP_EMAIL_HOST")
DEFAULT_FROM_EMAIL = env.get("IDP_EMAIL_FROM")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# JSON lines on standard output: one per request (idp.request) and one per application event.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "idp.core.requestlog.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"idp.request": {"level": "INFO"}},
}

# --- platform settings (docs/operators.md, "Configuration") ---
IDP_ISSUER = env.get("IDP_ISSUER").rstrip("/")
IDP_WEBAUTHN_RP_ID_SETTING = env.get("IDP_WEBAUTHN_RP_ID")
IDP_WEBAUTHN_RP_ID = IDP_WEBAUTHN_RP_ID_SETTING or (urlsplit(IDP_ISSUER).hostname or "")
IDP_SUPPORT_PHONE = env.get("IDP_SUPPORT_PHONE")
IDP_SITE_OWNER = env.get("IDP_SITE_OWNER")
IDP_SITE_OWNER_EN = env.get("IDP_SITE_OWNER_EN")
IDP_ICP_NUMBER = env.get("IDP_ICP_NUMBER")
IDP_DATA_KEY = env.get("IDP_DATA_KEY")
IDP_ENCRYPTION_KEYS = env.get("IDP_ENCRYPTION_KEYS")  # newer encryption keys, `2:<base64>,…` (core/crypto.py)
IDP_SMS_BACKEND = env.get("IDP_SMS_BACKEND")
IDP_SMS_OUTBOX = env.get("IDP_SMS_OUTBOX")
IDP_SMS_HTTP_URL = env.get("IDP_SMS_HTTP_URL")
IDP_SMS_HTTP_TOKEN = env.get("IDP_SMS_HTTP_TOKEN")
IDP_REALNAME_VERIFIER = env.get("IDP_REALNAME_VERIFIER")
IDP_REALNAME_REFERENCE_CSV = env.get("IDP_REALNAME_REFERENCE_CSV")
IDP_REALNAME_HTTP_URL = env.get("IDP_REALNAME_HTTP_URL")
IDP_REALNAME_HTTP_TOKEN = env.get("IDP_REALNAME_HTTP_TOKEN")
IDP_REALNAME_HTTP_TIMEOUT = float(env.get("IDP_REALNAME_HTTP_TIMEOUT"))
IDP_REALNAME_HTTP_RETRIES = int(env.get("IDP_REALNAME_HTTP_RETRIES"))
# Manual-verification uploads: size limit per file (kept encrypted in the database; only the
# evidence views read them).
IDP_UPLOAD_MAX_BYTES = int(env.get("IDP_UPLOAD_MAX_BYTES"))
# Whole request bodies of the pages that take documents: read up to this (files over
# IDP_UPLOAD_MAX_BYTES are read past, and the form says so); refused by Content-Length above it.
IDP_MAX_UPLOAD_REQUEST_BYTES = 32 * 1024 * 1024
IDP_ADMIN_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # a 结果公示 PDF published in 系统管理
IDP_UPLOAD_MAX_PIXELS = 30_000_000  # width × height of a document image (a 6000×5000 scan)
# Password recovery: how long an appeal's set-password link stays valid, and the throttles.
IDP_RESET_LINK_HOURS = int(env.get("IDP_RESET_LINK_HOURS"))
IDP_SAML_CLOCK_SKEW = int(env.get("IDP_SAML_CLOCK_SKEW"))
# 等保 2.0: a browser signed in here is signed out after this long without a request (staff
# sooner), and after IDP_SESSION_MAX_HOURS whatever it does (accounts/timeouts.py).
IDP_SESSION_IDLE_MINUTES = int(env.get("IDP_SESSION_IDLE_MINUTES"))
IDP_STAFF_SESSION_IDLE_MINUTES = int(env.get("IDP_STAFF_SESSION_IDLE_MINUTES"))
IDP_SESSION_MAX_HOURS = int(env.get("IDP_SESSION_MAX_HOURS"))
# 等保 2.0: staff unused this long are disabled (daily); `dormant_accounts` lists the people.
IDP_STAFF_DORMANT_DAYS = int(env.get("IDP_STAFF_DORMANT_DAYS"))
IDP_STAFF_PASSWORD_MAX_DAYS = int(env.get("IDP_STAFF_PASSWORD_MAX_DAYS"))  # 0: no limit
# Audit export to a SIEM and retention (audit/export.py): 网络安全法 Art. 21 wants six months at least.
IDP_AUDIT_SINK = env.get("IDP_AUDIT_SINK")
IDP_AUDIT_RETENTION_DAYS = int(env.get("IDP_AUDIT_RETENTION_DAYS"))
if IDP_AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("IDP_AUDIT_RETENTION_DAYS must be at least 180 (网络安全法 Art. 21)")
# Reverse proxies (docs/security.md, "Behind a reverse proxy"): [] when unset or `none`.
IDP_TRUSTED_PROXIES_SETTING = env.get("IDP_TRUSTED_PROXIES").strip()
IDP_TRUSTED_PROXIES = [] if IDP_TRUSTED_PROXIES_SETTING.lower() in ("", "none") else env.get_list("IDP_TRUSTED_PROXIES")
IDP_CLIENT_IP_HEADER = env.get("IDP_CLIENT_IP_HEADER")
IDP_CLIENT_IP_META = "HTTP_" + IDP_CLIENT_IP_HEADER.upper().replace("-", "_")
IDP_APPEAL_SECOND_REVIEWER = env.get_bool("IDP_APPEAL_SECOND_REVIEWER")
IDP_RESET_LOOKUPS_PER_IP = 20  # 检索用户 / 检索单位名 per IP per 10 minutes
IDP_RESET_FAILURES_PER_ACCOUNT = 5  # mismatches per account per hour before a pause
IDP_RESET_FAILURES_PER_IP = 20  # mismatches per IP per hour
IDP_RECHECKS_PER_ACCOUNT = 3  # 重新核验 per account per hour (each is a paid registry query)
IDP_RECHECKS_PER_IP = 10
IDP_GRANT_LOOKUP_MISSES_PER_ORGANISATION = 5  # 用户授权管理: wrong login name/name/last four per hour
IDP_GRANT_LOOKUP_MISSES_PER_IP = 20
IDP_RESET_SENDS_PER_ACCOUNT = 5  # 获取短信验证码 presses per account per hour, right or wrong phone
IDP_RESET_SENDS_PER_IP = 20  # the same per IP per hour
IDP_METRICS_TOKEN = env.get("IDP_METRICS_TOKEN")

# Background jobs (idp/core/jobs.py): django-q2 with the queue in the platform's database.
# A job not finished within `timeout` seconds is stopped; one whose worker died is offered again
# after `retry` seconds, at most `max_attempts` times.
Q_CLUSTER = {
    "name": "idp",
    "orm": "default",
    "workers": int(env.get("IDP_QUEUE_WORKERS")),
    "timeout": 90,
    "retry": 120,
    "max_attempts": 3,
    "ack_failures": False,
    "catch_up": False,
    "save_limit": -1,  # a finished job keeps nothing (its arguments may name a client address)
    "poll": 0.2,
    "label": "后台任务",
}
IDP_PRODUCTION = False  # production.py: unsafe settings stop the server (idp/core/checks.py)
IDP_ALLOW_TEST_HOOKS = env.get_bool("IDP_ALLOW_TEST_HOOKS")
IDP_CAPTCHA = env.get("IDP_CAPTCHA")
if IDP_CAPTCHA.startswith("fixed:") and not IDP_ALLOW_TEST_HOOKS:
    raise ImproperlyConfigured(
        "IDP_CAPTCHA=fixed:… makes every captcha pass; it is for automated tests only "
        "and needs IDP_ALLOW_TEST_HOOKS=1."
    )
if IDP_CAPTCHA != "image" and not IDP_CAPTCHA.startswith("fixed:"):
    raise ImproperlyConfigured("IDP_CAPTCHA must be 'image' or 'fixed:<answer>'.")

# Login throttling: a login name (existing or not) or an IP that fails this often is locked.
IDP_LOGIN_LOCK_FAILURES = 5
IDP_LOGIN_IP_LOCK_FAILURES = 20
IDP_LOGIN_LOCK_SECONDS = 15 * 60
IDP_LOGIN_SLOWDOWN_AFTER = 3  # failures before each further attempt must wait
IDP_LOGIN_SLOWDOWN_SECONDS = 5  # wait per failure beyond the threshold
# One-time SMS codes (SPEC 2): 6 digits, valid 5 minutes, single use.
IDP_OTP_TTL_SECONDS = 5 * 60
IDP_OTP_MAX_ATTEMPTS = 5
IDP_OTP_RESEND_SECONDS = 60
IDP_OTP_DAILY_PER_PHONE = 10
IDP_OTP_DAILY_PER_IP = 30
IDP_CHECK_API_PER_MINUTE = 60
IDP_MIGRATION_LOOKUPS_PER_MINUTE = 30  # 账号检索 per IP
IDP_SEARCHES_PER_MINUTE = 30  # 站内搜索 and the catalogue's search, per IP
IDP_QUESTIONS_PER_HOUR = 10  # 办事咨询 questions per account
IDP_CAPTCHAS_PER_MINUTE = 60  # captcha images, sounds and refreshes per IP
IDP_LEGACY_ORIGINS = env.get_list("IDP_LEGACY_ORIGINS")  # the legacy transfer page's origins (CORS)
# Single sign-on lifetimes (docs/integrators.md, "OpenID Connect"). Refresh tokens also end with the SSO session.
IDP_ACCESS_TOKEN_SECONDS = 600
IDP_ID_TOKEN_SECONDS = 3600
IDP_REFRESH_TOKEN_SECONDS = 8 * 3600
# A refresh token whose rotation failed with an error (a failover's 503: it may have committed) and that
# is presented again this soon, its successor unused, gets the rotation it missed (oidc/tokens.py).
IDP_REFRESH_REPLAY_GRACE_SECONDS = 30
IDP_KEY_PUBLISH_SECONDS = 600  # a rotated-in signing key is in the JWKS this long before it signs
IDP_CAS_PROXY_VERIFY_TLS = True  # check the certificate of a CAS pgtUrl

CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5  # minutes
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
CAPTCHA_IMAGE_SIZE = (110, 38)
CAPTCHA_FONT_SIZE = 26
# The spoken alternative for people who cannot read the image (WCAG 1.1.1): flite (Debian) reads
# the characters aloud at /captcha/audio/<key>.wav. Without flite, no audio link is offered.
CAPTCHA_FLITE_PATH = shutil.which("flite")

# login_name is unique case-insensitively through a functional index on LOWER(login_name),
# which is stricter than the plain unique flag this check looks for.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
