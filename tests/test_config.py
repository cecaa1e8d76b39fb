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


def test_production_refuses_development_keys():
    result = run_settings("config.settings.production", IDP_ISSUER="https://id.example.cn")
    assert result.returncode != 0 and "IDP_SECRET_KEY" in result.stderr
    result = run_settings("config.settings.production", IDP_ISSUER="https://id.example.cn",
                          IDP_SECRET_KEY="x" * 50)
    assert result.returncode != 0 and "IDP_DATA_KEY" in result.stderr
    result = run_settings("config.settings.production", IDP_ISSUER="https://id.example.cn",
                          IDP_SECRET_KEY="x" * 50,
                          IDP_DATA_KEY="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    assert result.returncode == 0, result.stderr


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


def test_argon2id_parameters():
    """Passwords hash with argon2id m=19 MiB, t=2, p=1."""
    from django.contrib.auth.hashers import make_password

    assert make_password("Abcdef12!").startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
