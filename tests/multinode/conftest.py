import pytest
from django.db import close_old_connections
from django_q.conf import Conf

from tests.multinode.cluster import DATA_KEY, SECRET_KEY, Platform


@pytest.fixture
def platform(transactional_db, tmp_path, settings, monkeypatch):
    """The two nodes behind the proxy. This process writes what they read (identity numbers,
    client-secret digests, queued jobs), so it uses their keys."""
    settings.IDP_DATA_KEY, settings.SECRET_KEY = DATA_KEY, SECRET_KEY
    monkeypatch.setattr(Conf, "SECRET_KEY", SECRET_KEY)
    started = Platform(tmp_path)
    yield started
    started.close()
    close_old_connections()
