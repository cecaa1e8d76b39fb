"""The refresh grant and userinfo read token families with plain SQL (oidc/families.py); what a
business system receives must be exactly what the ORM-built claims say."""

import pytest
from django.utils import timezone

from idp.oidc import families
from idp.oidc.models import Authorization
from idp.sso import claims, clients
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("acting", [False, True])
def test_families_and_the_orm_give_the_same_claims(acting):
    client = clients.register(name="核对系统", protocol="oidc", code="check",
                              redirect_uris=["https://rp.example.cn/cb"]).client
    person = factories.verified(factories.natural_account("family_person", name="李四"))
    organisation = factories.verified(factories.legal_account("family_org", name="示例科技有限公司"))
    authorization = Authorization.objects.create(client=client, account=person, scope="openid profile",
                                                 acting_for=organisation if acting else None,
                                                 auth_time=timezone.now())
    family = families.load(authorization.pk)
    expected = claims.identity_claims(person, organisation if acting else None)
    assert claims.identity_claims(family.account, family.acting_for) == expected
    assert family.pk == authorization.pk and family.client_pk == client.pk and not family.revoked
    if acting:
        assert expected["sub"] == claims.subject(organisation) and expected["act"]["name"] == "李四"
