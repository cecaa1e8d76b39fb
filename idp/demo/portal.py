"""The portal of `make run`: example 通知通告, 热点服务, published 办事咨询 answers and a 结果公示, so
that a fresh install shows what the home page is for. Running it again changes nothing."""

from datetime import timedelta

from django.utils import timezone

from idp.accounts.models import Account
from idp.catalogue.models import ServiceItem
from idp.portal.models import HotService, Notice, Publication, Question

NOTICES = [
    ("关于开展2026年度高新技术企业认定工作的通知",
     "各有关单位:2026年度高新技术企业认定申报工作即日启动。请申报企业登录本平台,在“服务事项”中选择"
     "“高新技术企业认定申报”,按要求填报材料。"),
    ("统一身份认证平台用户转移说明",
     "原火炬中心平台的用户已整体转移至本平台,密码不变。如不确定登录窗口或登录名,请使用“账号检索”查询。"),
    ("关于系统维护的公告", "本平台将于本周六 02:00—04:00 进行例行维护,期间可能短暂无法登录,敬请谅解。"),
]
HOT_ITEMS = ["高新技术企业认定申报", "科技型中小企业评价信息填报", "国家重点研发计划项目申报",
             "人类遗传资源国际合作科学研究审批"]
ANSWERS = [
    ("高新技术企业认定申报需要单位法人账号吗?",
     "需要。申报由单位法人账号办理,也可以由单位在“用户授权管理”中授权的自然人代办。"),
    ("忘记了登录名怎么办?",
     "在登录页点击“忘记密码”,选择“账号检索”或“自然人申诉”/“单位法人用户申诉”找回。"),
]
RESULT = ("2025年度第一批高新技术企业认定结果公示",
          "根据认定工作安排,现将2025年度第一批拟认定高新技术企业名单予以公示,公示期为10个工作日。")


def load(asker: Account | None, operator: Account | None) -> list[str]:
    """What is missing, created; returns what was."""
    created, now = [], timezone.now()
    for age, (title, body) in enumerate(NOTICES):
        if Notice.objects.get_or_create(title=title, defaults={"body": body,
                                                                "published_at": now - timedelta(days=age * 3)})[1]:
            created.append("notice")
    for order, name in enumerate(HOT_ITEMS):
        item = ServiceItem.objects.filter(name=name).first()
        if item is not None and HotService.objects.get_or_create(item=item, defaults={"sort_order": order})[1]:
            created.append("hot service")
    if asker is not None:
        for body, answer in ANSWERS:
            _, made = Question.objects.get_or_create(body=body, defaults={
                "account": asker, "answer": answer, "answered_by": operator, "answered_at": now, "is_public": True})
            if made:
                created.append("answer")
    if Publication.objects.get_or_create(title=RESULT[0], defaults={"body": RESULT[1]})[1]:
        created.append("result")
    return created
