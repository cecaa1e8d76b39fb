# The two commands of the README: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SETTINGS_GIVEN := $(origin DJANGO_SETTINGS_MODULE)
export DJANGO_SETTINGS_MODULE ?= config.settings.base

.PHONY: run serve test lint bench bench-migration bench-scale bench-soak install migrate demo clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed locale/en/LC_MESSAGES/django.mo

# The English pages' catalogue, compiled from its source (msgfmt: Debian package gettext).
locale/en/LC_MESSAGES/django.mo: locale/en/LC_MESSAGES/django.po
	msgfmt --check -o $@ $<

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The two demo business systems listen on the two ports after PORT (8001 and 8002 by default).
DEMO_URLS = IDP_DEMO_OIDC_URL=$${IDP_DEMO_OIDC_URL:-http://127.0.0.1:$$(($(PORT) + 1))} \
            IDP_DEMO_CAS_URL=$${IDP_DEMO_CAS_URL:-http://127.0.0.1:$$(($(PORT) + 2))}

demo: export IDP_ISSUER ?= http://127.0.0.1:$(PORT)
demo: migrate
	$(DEMO_URLS) $(BIN)/python manage.py load_demo

# The platform, the single-logout worker and the two demo business systems (README, "Trying it").
run: export IDP_ISSUER ?= http://127.0.0.1:$(PORT)
run: demo
	$(DEMO_URLS) $(BIN)/python scripts/run_platform.py $(PORT)

# The production server: granian and the background-job cluster, with production settings and
# the variables of .env (.env.example; docs/operators.md).
ifeq ($(SETTINGS_GIVEN),undefined)
serve: export DJANGO_SETTINGS_MODULE = config.settings.production
endif
serve: install
	$(BIN)/python scripts/serve.py

# The openid-client business system of the interoperability tests (npm); without npm those
# tests say loudly that they were skipped (and fail in CI).
INTEROP := tests/interop/openid_client
$(INTEROP)/node_modules/.installed: $(INTEROP)/package-lock.json
	@if command -v npm >/dev/null; then cd $(INTEROP) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm is missing: the openid-client interoperability test will be skipped"; fi

# The upstream identity provider of the federation tests (node's oidc-provider, npm).
UPSTREAM := tests/interop/upstream
$(UPSTREAM)/node_modules/.installed: $(UPSTREAM)/package-lock.json
	@if command -v npm >/dev/null; then cd $(UPSTREAM) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm is missing: the federation tests will be skipped"; fi

# npm sm-crypto, a second outside verifier of SM2-signed tokens.
GM := tests/interop/gm
$(GM)/node_modules/.installed: $(GM)/package-lock.json
	@if command -v npm >/dev/null; then cd $(GM) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm is missing: the sm-crypto check of SM2 tokens will be skipped"; fi

# axe-core, which the browser tests run on every page they visit (WCAG 2.1 A/AA).
AXE := tests/e2e/axe
$(AXE)/node_modules/.installed: $(AXE)/package-lock.json
	@if command -v npm >/dev/null; then cd $(AXE) && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "npm is missing: the browser tests cannot check accessibility"; fi

test: install $(INTEROP)/node_modules/.installed $(UPSTREAM)/node_modules/.installed $(GM)/node_modules/.installed \
      $(AXE)/node_modules/.installed
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest

# Single sign-on throughput on one core (needs PostgreSQL and Redis on 127.0.0.1, and wrk).
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python bench/hashing.py
	$(BIN)/python bench/sso.py
	$(BIN)/python bench/side_by_side.py

bench-migration: install
	$(BIN)/python bench/migration.py

# The token and login paths with 1,000,000 accounts and 10,000,000 refresh tokens (several minutes).
bench-scale: install
	$(BIN)/python bench/scale.py

# A worker's memory under ten minutes of load.
bench-soak: install
	$(BIN)/python bench/soak.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports  # the layers of idp/ (pyproject.toml, [tool.importlinter])
	$(BIN)/python manage.py makemigrations --check --dry-run  # a model change without its migration fails

clean:
	rm -rf $(VENV) var
