"""站内搜索 over service items, notices, published Q&A and result lists.

A case-insensitive substring match finds Chinese words without a tokenizer, on SQLite and
PostgreSQL alike. On PostgreSQL every searched column has a pg_trgm GIN index on exactly the
expression Django's `icontains` compares (`UPPER(col::text)`, migration portal 0002), so a query of
three or more characters is answered from the index; shorter ones fall back to a scan, still exact.
Trigrams of Chinese characters need a UTF-8 character type (C.UTF-8, zh_CN.UTF-8) — docs/operators.md, "PostgreSQL".
"""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from idp.catalogue.models import ServiceItem
from idp.portal import consulting
from idp.portal.models import Notice, Publication

LIMIT = 20
QUERY_LENGTH = 50


def containing(query: str, *fields: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": query})
    return condition


def site_search(query: str) -> dict[str, list[tuple[str, str]]]:
    """(title, link) of what matches, by section, at most LIMIT per section."""
    query = query.strip()[:QUERY_LENGTH]
    if not query:
        return {}
    items = ServiceItem.objects.filter(containing(query, "name", "description"), is_active=True)
    notices = Notice.public().filter(containing(query, "title", "body"))
    questions = consulting.published().filter(containing(query, "body", "answer"))
    results = Publication.public().filter(containing(query, "title", "body"))
    return {
        _("服务事项"): [(item.name, reverse("service-item", args=[item.pk])) for item in items[:LIMIT]],
        _("通知通告"): [(notice.title, reverse("notice", args=[notice.pk])) for notice in notices[:LIMIT]],
        _("办事咨询"): [(question.body[:60], reverse("consult")) for question in questions[:LIMIT]],
        _("结果公示"): [(result.title, reverse("result", args=[result.pk])) for result in results[:LIMIT]],
    }
