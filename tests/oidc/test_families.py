"""The refresh grant and userinfo read token families with plain SQL (oidc/families.py); what a
business system receives must be exactly what the ORM-built claims say."""

import pytest
from django.utils import timezone

from idp.oidc import families
from idp.oidc.models import Authorization, RefreshToken
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


@pytest.mark.postgres
def test_the_rotation_finds_the_token_by_its_digest_whatever_the_client_has():
    """The rotation is prepared, so PostgreSQL may run it with a generic plan that knows no digest. On
    the table partitioned by month the digest is unique only with the month; a plan that read the
    client's families first and then each one's tokens made 5 refreshes/s in make bench. The token
    must be found by its digest and its one family read by primary key, however many families."""
    import re

    from django.db import connection

    client = clients.register(name="多家系统", protocol="oidc", code="many",
                              redirect_uris=["https://rp.example.cn/cb"]).client
    person, now = factories.natural_account("many_families"), timezone.now()
    made = Authorization.objects.bulk_create([Authorization(client=client, account=person, scope="openid",
                                                            auth_time=now) for _ in range(3000)])
    RefreshToken.objects.bulk_create([RefreshToken(digest=f"d{family.pk}", authorization=family, expires_at=now)
                                      for family in made])
    numbered = iter(range(1, 100))
    statement = re.sub(r"%s", lambda _: f"${next(numbered)}", families._ROTATE_PG)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE oidc_authorization")
        cursor.execute("ANALYZE oidc_refreshtoken")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE rotation AS {statement}")
        cursor.execute("EXPLAIN EXECUTE rotation (%s, 'x', %s, %s, 'y', %s, %s)", [now, now, client.pk, now, now])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE rotation")
    assert "Seq Scan on oidc_authorization" not in plan and "client_id" not in plan.split("SubPlan")[0], plan
    assert re.search(r"Index Cond: \(\(digest\)::text = \$2\)", plan), plan
