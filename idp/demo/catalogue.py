"""The business systems and service items of `make run` (SPEC 0 names the four systems)."""

from config import env
from idp.catalogue.known import HIGH_TECH, TECH_SME
from idp.catalogue.models import BusinessSystem, ServiceItem

# The two demo business systems `make run` starts next to the platform (demos/).
DEMO_OIDC_URL = env.get("IDP_DEMO_OIDC_URL").rstrip("/")
DEMO_CAS_URL = env.get("IDP_DEMO_CAS_URL").rstrip("/")

SYSTEMS = [
    {"code": HIGH_TECH, "name": "高企认定", "delegable": True, "allow_natural": False,
     "entrance_url": DEMO_OIDC_URL, "protocol": "oidc",
     "description": "高新技术企业认定管理工作网:企业申报、地方审核、认定结果公示。",
     "items": [("高新技术企业认定申报", "legal", "/apply"),
               ("高新技术企业更名申请", "legal", "/rename"),
               ("高新技术企业认定结果查询", "legal", "/results")]},
    {"code": TECH_SME, "name": "科小企评价", "delegable": True, "allow_natural": False,
     "entrance_url": DEMO_CAS_URL, "protocol": "cas",
     "description": "科技型中小企业评价服务:企业自主评价、入库登记编号查询。",
     "items": [("科技型中小企业评价信息填报", "legal", "/fill"),
               ("科技型中小企业入库登记编号查询", "legal", "/query")]},
    {"code": "hgrag", "name": "人类遗传资源行政审批", "delegable": True,
     "description": "中国人类遗传资源采集、保藏、国际合作科学研究审批与备案。",
     "items": [("人类遗传资源国际合作科学研究审批", "legal", "/intl"), ("国际合作临床试验备案", "legal", "/filing"),
               ("人类遗传资源行政许可审批进度查询", "natural", "/progress")]},
    {"code": "kjjhsb", "name": "科技计划项目申报", "delegable": False,
     "description": "国家科技计划项目申报与管理:项目申报、任务书填报、专家评审。",
     "items": [("国家重点研发计划项目申报", "natural", "/declare"), ("项目任务书填报", "natural", "/tasks"),
               ("单位科研管理信息维护", "legal", "/unit")]},
]


def load() -> list[str]:
    """Create what is missing; never changes what an operator edited. Returns created codes."""
    created = []
    for spec in SYSTEMS:
        spec = dict(spec)
        items = spec.pop("items")
        system, made = BusinessSystem.objects.get_or_create(code=spec["code"], defaults=spec)
        if made:
            created.append(system.code)
        for order, (name, kind, path) in enumerate(items):
            ServiceItem.objects.get_or_create(
                system=system, name=name, user_kind=kind,
                defaults={"entrance_path": path, "sort_order": order * 10,
                          "description": f"在“{system.name}”业务系统中办理{name}。"})
    return created
