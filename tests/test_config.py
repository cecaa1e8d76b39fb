"""Configuration loading and start-up refusals."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = env.BASE_DIR


def run_settings(module, **environ):
    """Import a settings module in a fresh interpreter with the given environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    clean.update(environ)
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=clean,
        capture_output=True, text=True, timeout=60,
    )


def test_fixed_captcha_refused_without_test_hooks():
    result = run_settings("config.settings.base", IDP_CAPTCHA="fixed:1234")
    assert result.returncode != 0 and "IDP_ALLOW_TEST_HOOKS" in result.stderr
    ok = run_settings("config.settings.base", IDP_CAPTCHA="fixed:1234", IDP_ALLOW_TEST_HOOKS="1")
    assert ok.returncode == 0, ok.stderr


SAFE_PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "IDP_ISSUER": "https://id.example.cn",
    "IDP_ALLOWED_HOSTS": "id.example.cn",
    "IDP_SECRET_KEY": "k7Vq2-pLr9sT0wXy3zAbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "IDP_DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "IDP_DATABASE_URL": "postgresql://idp@127.0.0.1:5432/idp",
    "IDP_REDIS_URL": "redis://127.0.0.1:6379/0",
    "IDP_REALNAME_VERIFIER": "http", "IDP_REALNAME_HTTP_URL": "https://registry.example.cn",
    "IDP_SMS_BACKEND": "http", "IDP_SMS_HTTP_URL": "https://sms.example.cn",
    "IDP_TRUSTED_PROXIES": "10.0.0.5,10.0.1.0/24",
}


def check_deploy(**environ):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("IDP_") and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    clean.update(environ)
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_on_a_correct_production_configuration():
    result = check_deploy(**SAFE_PRODUCTION)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("unsafe", "error"), [
    ({"IDP_SECRET_KEY": None}, "idp.E001"),
    ({"IDP_SECRET_KEY": "x"}, "idp.E001"),
    ({"IDP_DATA_KEY": None}, "idp.E002"),
    ({"IDP_DATA_KEY": "not base64!"}, "idp.E002"),
    ({"IDP_DATA_KEY": "c2hvcnQ="}, "idp.E002"),
    ({"IDP_ALLOW_TEST_HOOKS": "1", "IDP_CAPTCHA": "fixed:1"}, "idp.E003"),
    ({"IDP_ISSUER": "http://id.example.cn"}, "idp.E004"),
    ({"IDP_REALNAME_VERIFIER": None}, "idp.E005"),
    ({"IDP_SMS_BACKEND": None}, "idp.E006"),
    ({"IDP_REDIS_URL": None}, "idp.E007"),
    ({"IDP_DATABASE_URL": None}, "idp.E008"),
    ({"IDP_TRUSTED_PROXIES": None}, "idp.E009"),
    ({"IDP_TRUSTED_PROXIES": "10.0.0.5,proxy.local"}, "idp.E010"),
    ({"IDP_ALLOWED_HOSTS": "*"}, "idp.E014"),
    ({"IDP_ALLOWED_HOSTS": ".example.cn"}, "idp.E014"),
    ({"IDP_TRUSTED_PROXIES": "0.0.0.0/0"}, "idp.E015"),
    ({"IDP_TRUSTED_PROXIES": "::/0"}, "idp.E015"),
    ({"IDP_SMS_HTTP_URL": "http://sms.example.cn"}, "idp.E016"),
    ({"IDP_REALNAME_HTTP_URL": "http://registry.example.cn"}, "idp.E016"),
    ({"IDP_ALLOWED_HOSTS": "other.example.cn"}, "idp.E017"),
    ({"IDP_WEBAUTHN_RP_ID": "10.0.0.8"}, "idp.E018"),
    ({"IDP_WEBAUTHN_RP_ID": "elsewhere.example.cn"}, "idp.E018"),
])
def test_check_deploy_fails_on_each_unsafe_setting(unsafe, error):
    environ = {**SAFE_PRODUCTION, **unsafe}
    result = check_deploy(**{k: v for k, v in environ.items() if v is not None})
    assert result.returncode != 0 and error in result.stderr, result.stderr


def test_an_issuer_at_an_ip_address_runs_without_passkeys():
    result = check_deploy(**{**SAFE_PRODUCTION, "IDP_ISSUER": "https://10.0.0.8", "IDP_ALLOWED_HOSTS": "10.0.0.8"})
    assert result.returncode == 0 and "idp.W018" in result.stderr + result.stdout, result.stderr


def test_production_server_refuses_to_start_on_unsafe_settings():
    """The WSGI application itself (what granian loads) refuses, not only the check command."""
    environ = {k: v for k, v in SAFE_PRODUCTION.items() if k != "IDP_DATA_KEY"}
    result = run_settings("config.wsgi", **environ)
    assert result.returncode != 0 and "idp.E002" in result.stderr


@pytest.mark.django_db
def test_demo_passwords_are_refused(settings):
    from idp.accounts.models import Account, AccountKind
    from idp.core.checks import no_demo_passwords

    Account.objects.create_user("reviewer", "Review@2026", kind=AccountKind.NATURAL, phone="13800000000")
    assert [e.id for e in no_demo_passwords(databases=["default"])] == ["idp.E012"]
    settings.IDP_PRODUCTION = True
    from django.core.management import CommandError, call_command
    with pytest.raises(CommandError):
        call_command("load_demo")


def test_secret_from_file(tmp_path, monkeypatch):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("IDP_SECRET_KEY", raising=False)
    monkeypatch.setenv("IDP_SECRET_KEY_FILE", str(secret))
    assert env.get("IDP_SECRET_KEY") == "from-a-file"


def test_database_urls():
    pg = env.DatabaseUrl("postgresql://u:p%40ss@db.local:5433/idp?sslmode=require").django()
    assert pg["ENGINE"].endswith("postgresql") and pg["NAME"] == "idp" and pg["PASSWORD"] == "p@ss"
    assert pg["PORT"] == "5433" and pg["CONN_MAX_AGE"]
    assert pg["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5}
    pooled = env.DatabaseUrl("postgresql://db.local/idp?prepare_threshold=none").django()
    assert pooled["OPTIONS"] == {"prepare_threshold": None}
    absolute = env.DatabaseUrl("sqlite:////tmp/x.sqlite3").django()
    assert absolute["NAME"] == "/tmp/x.sqlite3"
    relative = env.DatabaseUrl("sqlite:///var/y.sqlite3").django()
    assert relative["NAME"] == str(ROOT / "var" / "y.sqlite3")
    with pytest.raises(ImproperlyConfigured):
        env.DatabaseUrl("mysql://x/y").django()


def test_a_database_url_may_name_the_primary_and_its_standbys():
    """libpq's host lists: with target_session_attrs=read-write it connects to whichever is primary."""
    pg = env.DatabaseUrl("postgresql://idp:p%40ss@h1:5432,h2:5433,[::1]:5434/idp?target_session_attrs=read-write").django()
    assert (pg["HOST"], pg["PORT"], pg["USER"], pg["PASSWORD"]) == ("h1,h2,::1", "5432,5433,5434", "idp", "p@ss")
    assert pg["OPTIONS"]["target_session_attrs"] == "read-write"
    assert env.DatabaseUrl("postgresql://h1,h2/idp").django()["PORT"] == ""
    for wrong in ("postgresql://h1:5432,h2/idp", "postgresql://h1:x/idp"):
        with pytest.raises(ImproperlyConfigured):
            env.DatabaseUrl(wrong).django()


@pytest.mark.postgres
@pytest.mark.django_db
def test_django_connects_to_whichever_listed_host_is_the_primary():
    """A host that is down (a dead primary) is skipped; the one that accepts writes is used."""
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    here = connection.settings_dict
    url = (f"postgresql://{here['USER']}@127.0.0.1:1,{here['HOST'] or '127.0.0.1'}:{here['PORT'] or 5432}/"
           f"{here['NAME']}?target_session_attrs=read-write")
    wrapper = DatabaseWrapper({**here, **env.DatabaseUrl(url).django(), "NAME": here["NAME"]}, alias="multi-host")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
            assert cursor.fetchone() == (False, int(here["PORT"] or 5432))
    finally:
        wrapper.close()


def test_a_database_url_may_ask_for_a_connection_pool():
    pooled = env.DatabaseUrl("postgresql://db.local/idp?pool=2-8&sslmode=require").django()
    assert pooled["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5,
                                 "pool": {"min_size": 2, "max_size": 8, "timeout": 5}}
    assert pooled["CONN_MAX_AGE"] == 0  # the pool keeps the connections; Django refuses both
    assert env.DatabaseUrl("postgresql://db.local/idp?pool=4").django()["OPTIONS"]["pool"]["max_size"] == 4
    for wrong in ("0", "8-2", "x", "2-", "-2"):
        with pytest.raises(ImproperlyConfigured, match="pool="):
            env.DatabaseUrl(f"postgresql://db.local/idp?pool={wrong}").django()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_share_a_pool_of_at_most_its_size():
    """Twelve threads' queries through Django's psycopg pool of at most three connections: all answer,
    and PostgreSQL never sees more than three connections from the pool."""
    import threading

    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    here = connection.settings_dict
    tag = "idp_pool_test"
    url = (f"postgresql://{here['USER']}@{here['HOST'] or '127.0.0.1'}:{here['PORT'] or 5432}/{here['NAME']}"
           f"?pool=1-3&application_name={tag}")
    settings_dict = {**here, **env.DatabaseUrl(url).django(), "NAME": here["NAME"]}
    answers, peaks, errors = [], [], []

    def query():
        wrapper = DatabaseWrapper(settings_dict, alias="pooled")  # one per thread, as Django's handler makes
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.2), count(*) FROM pg_stat_activity WHERE application_name = %s",
                               [tag])
                peaks.append(cursor.fetchone()[1])
            answers.append(True)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            wrapper.close()  # back to the pool

    threads = [threading.Thread(target=query) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors and len(answers) == 12
        assert 1 <= max(peaks) <= 3
    finally:
        DatabaseWrapper(settings_dict, alias="pooled").close_pool()


def test_argon2id_parameters():
    """Passwords hash with argon2id m=19 MiB, t=2, p=1."""
    from django.contrib.auth.hashers import make_password

    assert make_password("Abcdef12!").startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
