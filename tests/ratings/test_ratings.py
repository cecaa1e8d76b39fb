"""我的评价 (好差评): one rating per handled item, changeable once; a 差评 opens a follow-up that an
operator closes with a reply the person sees; operators see the statistics and comments."""

import pytest
from django.test import Client
from django.utils import timezone

from idp.catalogue.models import ServiceItem, SystemVisit
from idp.ratings import services
from idp.ratings.models import FollowUp, Rating
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(client):
    factories.demo_systems()
    person = factories.natural_account("rater", name="评价人")
    item = ServiceItem.objects.get(name="国家重点研发计划项目申报")
    visit = SystemVisit.objects.create(account=person, system=item.system, item=item, last_entered_at=timezone.now())
    client.force_login(person)
    client.account = person
    return visit


@pytest.fixture
def operator():
    staff = factories.staff("operator_1")
    browser = Client()
    factories.sign_in(browser, staff)
    browser.account = staff
    return browser


def test_a_handled_item_is_rated_once_and_changed_once(client, handled):
    mine = client.get("/online/ratings/").content.decode()
    assert "国家重点研发计划项目申报" in mine and "未评价" in mine and f'href="/online/ratings/{handled.pk}/"' in mine
    assert f'href="/online/ratings/{handled.pk}/">评价' in client.get("/online/matters/").content.decode()
    form = client.get(f"/online/ratings/{handled.pk}/").content.decode()
    assert all(label in form for label in ["非常满意", "满意", "基本满意", "不满意", "非常不满意"])
    assert client.post(f"/online/ratings/{handled.pk}/", {"score": "4", "comment": "办理顺利"}).status_code == 302
    assert client.post(f"/online/ratings/{handled.pk}/", {"score": "5"}).status_code == 302  # changed once
    rating = Rating.objects.get()
    assert (rating.score, rating.changes, rating.comment) == (5, 1, "")
    again = client.post(f"/online/ratings/{handled.pk}/", {"score": "3"}, follow=True)
    assert "不能再修改" in again.content.decode() and Rating.objects.get().score == 5
    page = client.get("/online/ratings/").content.decode()
    assert "非常满意" in page and "修改评价" not in page


def test_a_missing_score_is_named_and_the_comment_kept(client, handled):
    page = client.post(f"/online/ratings/{handled.pk}/", {"comment": "写了一半"}).content.decode()
    assert "请选择评价等级" in page and "写了一半" in page and not Rating.objects.exists()


def test_only_ones_own_handled_items_can_be_rated(client, handled):
    stranger = Client()
    stranger.force_login(factories.natural_account())
    assert stranger.get(f"/online/ratings/{handled.pk}/").status_code == 404
    with pytest.raises(services.RatingError):
        services.rate(account=factories.natural_account(), visit_id=handled.pk, score=5)


def test_a_bad_rating_is_followed_up_and_the_reply_reaches_the_person(client, handled, operator):
    client.post(f"/online/ratings/{handled.pk}/", {"score": "1", "comment": "系统总是超时"})
    rating = Rating.objects.get()
    assert rating.follow_up == FollowUp.OPEN
    queue = operator.get("/console/ratings/").content.decode()
    assert "差评待回复(1)" in queue and "系统总是超时" in queue and "非常不满意" in queue
    refused = operator.post(f"/console/ratings/{rating.pk}/reply/", {"reply": ""}, follow=True)
    assert "请填写给用户的回复" in refused.content.decode()
    operator.post(f"/console/ratings/{rating.pk}/reply/", {"reply": "已扩容,请再试"})
    rating.refresh_from_db()
    assert rating.follow_up == FollowUp.CLOSED and rating.replied_by == operator.account
    assert "已扩容,请再试" in client.get("/online/ratings/").content.decode()
    assert "差评待回复(0)" in operator.get("/console/ratings/").content.decode()


def test_operators_see_statistics_per_item(handled, operator):
    services.rate(account=handled.account, visit_id=handled.pk, score=3, comment="还可以")
    page = operator.get("/console/ratings/").content.decode()
    assert "各事项评价统计" in page and "国家重点研发计划项目申报" in page and "3.00" in page and "还可以" in page
    assert Client().get("/console/ratings/").status_code == 302  # staff only
