"""The audit log searched by login name: entries about the account, entries it did as an operator, and
attempts that typed its name in any case — each condition by its own index (bench/scale.py shows the plans)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from idp.audit import selectors
from idp.audit.log import record
from idp.audit.models import Event
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_search_by_login_name_finds_what_the_account_did_what_was_done_to_it_and_what_typed_its_name():
    target = factories.natural_account("Search_Target")
    other = factories.natural_account("search_other")
    about = record(Event.LOGIN, account=target)
    by = record(Event.ADMIN_ACTION, actor=target, account=other, action="test")
    typed = record(Event.LOGIN_FAILED, login_name="SEARCH_target")
    record(Event.LOGIN, account=other)
    record(Event.LOGIN_FAILED, login_name="search_targets")  # a longer name is another name
    for query in ("search_target", "SEARCH_TARGET", " Search_Target".strip()):
        assert list(selectors.search(login_name=query)) == [typed, by, about]


def test_a_name_no_account_has_finds_the_attempts_that_typed_it():
    typed = record(Event.LOGIN_FAILED, login_name="Nobody_Here")
    assert list(selectors.search(login_name="nobody_here")) == [typed]
    assert list(selectors.search(login_name="nobody")) == []


def test_the_search_joins_no_table_into_its_conditions():
    """One OR across joined tables made PostgreSQL scan the whole log (10 M entries: seconds per page)."""
    factories.natural_account("plain_target")
    with CaptureQueriesContext(connection) as captured:
        list(selectors.search(login_name="plain_target"))
    entries_query = captured.captured_queries[-1]["sql"]
    where = entries_query.split("WHERE", 1)[1]
    assert "accounts_account" not in where and "UPPER" not in where

