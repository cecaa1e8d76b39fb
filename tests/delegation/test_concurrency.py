"""Two identical grants at the same instant make one grant (real PostgreSQL)."""

import pytest

from idp.delegation import services
from idp.delegation.models import Grant
from tests import factories
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_double_submit_of_one_grant():
    systems = factories.demo_systems()
    org = factories.legal_account()
    person = factories.verified(factories.natural_account())

    def grant():
        return services.create_grants(organisation=org, person=person, systems=[systems["gqrd"]],
                                      expires_on=None, actor=org)

    results = run_together(grant, grant)
    assert not any(isinstance(r, Exception) for r in results), results
    assert Grant.objects.filter(organisation=org, person=person, status="active").count() == 1
