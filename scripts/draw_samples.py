"""Draw the 样式 (sample) images shown beside each upload slot.

    .venv/bin/python scripts/draw_samples.py   (needs a CJK font: apt-get install fonts-noto-cjk)

The PNGs are committed under idp/realname/static/realname/samples/; run this only to change them.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
OUT = Path(__file__).resolve().parent.parent / "idp" / "realname" / "static" / "realname" / "samples"

SAMPLES = {
    "id_front.png": ("居民身份证 · 人像面", ["姓名  张三", "性别  男    民族  汉", "出生  1949 年 12 月 31 日",
                                          "住址  北京市东城区示例街道 1 号", "公民身份号码  1101************"]),
    "id_back.png": ("居民身份证 · 国徽面", ["中华人民共和国", "居民身份证", "签发机关  北京市公安局示例分局",
                                          "有效期限  2020.01.01-2040.01.01"]),
    "org_certificate.png": ("营业执照 / 组织机构代码证", [
        "统一社会信用代码  9111**************", "名称  示例科技有限公司", "类型  有限责任公司",
        "法定代表人  李四", "(加盖单位公章)"]),
    "lr_document.png": ("法定代表人证件(正反面)", ["正面与反面彩色扫描在同一页", "法定代表人签字", "加盖单位公章"]),
    "other.png": ("其他资料", ["港澳台地区单位、境外单位", "请上传本地注册登记证明", "等证明本单位身份的材料"]),
}


def draw(title: str, lines: list[str]) -> Image.Image:
    image = Image.new("RGB", (640, 400), "#f4f7fb")
    pen = ImageDraw.Draw(image)
    big, small = ImageFont.truetype(FONT, 30), ImageFont.truetype(FONT, 22)
    pen.rounded_rectangle((16, 16, 624, 384), radius=24, outline="#8aa4c8", width=4, fill="#ffffff")
    pen.text((40, 36), title, font=big, fill="#1f3b63")
    for i, line in enumerate(lines):
        pen.text((48, 110 + i * 48), line, font=small, fill="#333333")
    pen.text((430, 330), "样式 · 非真实证件", font=small, fill="#c0392b")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (title, lines) in SAMPLES.items():
        draw(title, lines).save(OUT / name, optimize=True)
        print(OUT / name)
