"""Business systems the platform itself refers to by code: the legacy migration's case R4
authorises a moved enterprise for 高企认定 and 科小企评价 (SPEC 7)."""

HIGH_TECH = "gqrd"  # 高企认定
TECH_SME = "kxqpj"  # 科小企评价
