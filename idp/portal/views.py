from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from idp.portal.models import HotService, Notice

NOTICES_ON_HOME, NOTICES_PER_PAGE = 5, 10


def published():
    return Notice.objects.filter(is_published=True, published_at__lte=timezone.now())


def home(request):
    """首页: 通知通告 (the latest, and 更多), 热点服务, and a way to every first step."""
    hot = HotService.objects.filter(item__is_active=True, item__system__is_active=True).select_related("item")
    return render(request, "portal/home.html", {"notices": published()[:NOTICES_ON_HOME], "hot_services": hot})


def notices(request):
    page = Paginator(published(), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/notices.html", {"page": page})


def notice(request, pk):
    return render(request, "portal/notice.html", {"notice": get_object_or_404(published(), pk=pk)})
