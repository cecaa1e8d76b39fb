"""Write the reference registry CSV: fictitious identities that pass every check digit.

    python manage.py make_reference_data [--out PATH] [--seed N]

The same seed always writes the same file. The shipped file was written with the defaults.
Columns: kind (person | organisation), name, id_type, id_number, uscc, legal_representative.
"""

import csv
import random
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from idp.identifiers.validators import (
    MAINLAND_PROVINCES,
    mod11_2_check_char,
    organisation_code_check_char,
    uscc_check_char,
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕文博子涵欣"
    "怡浩然雨桐梓萱一诺思远嘉怡宇航晨曦"
)
ORG_WORDS = ["华信", "中科", "启明", "恒远", "博创", "星辰", "蓝海", "德润", "瑞丰", "远景", "智联", "新材",
             "长青", "鼎盛", "汇通", "泰和", "云帆", "正源", "天工", "明德"]
ORG_KINDS = ["科技有限公司", "信息技术有限公司", "生物医药股份有限公司", "新材料有限公司", "研究院",
             "软件有限公司", "智能装备有限公司"]

# The demo accounts of `make run` are in the registry, so they verify automatically.
FIXED_PERSONS = [("张三", "resident_id", "11010519491231002X")]
FIXED_ORGANISATIONS = [("示例科技有限公司", "91110108MA01ET88XL", "李四")]


def person_name(rng):
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def resident_number(rng, area=None):
    area = area or rng.choice(sorted(MAINLAND_PROVINCES)) + f"{rng.randrange(1, 30):02d}{rng.randrange(1, 20):02d}"
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
    first17 = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + mod11_2_check_char(first17)


def uscc(rng):
    letters = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(rng.choice(letters) for _ in range(8))
    first17 = "9" + rng.choice("113") + rng.choice(["110108", "310115", "440305", "320506"])
    first17 += body + organisation_code_check_char(body)
    return first17 + uscc_check_char(first17)


def rows(seed: int):
    rng = random.Random(seed)
    for name, id_type, number in FIXED_PERSONS:
        yield {"kind": "person", "name": name, "id_type": id_type, "id_number": number}
    for i in range(300):
        roll = i % 20
        if roll < 15:
            id_type, number = "resident_id", resident_number(rng)
        elif roll == 15:
            id_type, number = "hk_macau_permit", rng.choice("HM") + f"{rng.randrange(10**8):08d}"
        elif roll == 16:
            id_type, number = "taiwan_permit", f"{rng.randrange(10**8):08d}"
        elif roll == 17:
            id_type = "hmt_residence_permit"
            number = resident_number(rng, area=rng.choice(["810000", "820000", "830000"]))
        elif roll == 18:
            id_type = "foreign_permanent_residence"
            number = resident_number(rng, area=f"9{rng.randrange(11, 66)}{rng.randrange(100, 999)}")
        else:
            id_type = "passport"
            number = rng.choice("EGP") + f"{rng.randrange(10**8):08d}"
        yield {"kind": "person", "name": person_name(rng), "id_type": id_type, "id_number": number}
    for name, code, representative in FIXED_ORGANISATIONS:
        yield {"kind": "organisation", "name": name, "uscc": code, "legal_representative": representative}
    for _ in range(120):
        city = rng.choice(["北京", "上海", "深圳", "苏州", "杭州", "成都", "武汉"])
        name = city + rng.choice(ORG_WORDS) + rng.choice(ORG_WORDS) + rng.choice(ORG_KINDS)
        yield {"kind": "organisation", "name": name, "uscc": uscc(rng),
               "legal_representative": person_name(rng)}


class Command(BaseCommand):
    help = "Write the reference registry CSV used by IDP_REALNAME_VERIFIER=reference."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=settings.IDP_REALNAME_REFERENCE_CSV)
        parser.add_argument("--seed", type=int, default=20261128)

    def handle(self, *args, out, seed, **options):
        fields = ["kind", "name", "id_type", "id_number", "uscc", "legal_representative"]
        seen = set()
        count = 0
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for row in rows(seed):
                key = row.get("id_number") or row.get("uscc")
                if key in seen:
                    continue
                seen.add(key)
                writer.writerow({field: row.get(field, "") for field in fields})
                count += 1
        self.stdout.write(f"wrote {count} rows to {out}")
