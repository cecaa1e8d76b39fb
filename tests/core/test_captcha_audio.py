"""The spoken captcha (WCAG 1.1.1): every captcha offers a link that reads its characters aloud."""

import re

import pytest
from captcha.models import CaptchaStore
from django.conf import settings

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not settings.CAPTCHA_FLITE_PATH,
                                 reason="SKIPPED: needs flite (apt-get install flite; .ci/run does)")]


@pytest.mark.parametrize("path", ["/login/", "/password/reset/", "/legacy/lookup/"])
def test_every_captcha_can_be_heard(client, path):
    page = client.get(path).content.decode()
    link = re.search(r'<a href="(/captcha/audio/\w+\.wav)" class="captcha-audio"[^>]*>听语音验证码</a>', page)
    assert link, path
    audio = client.get(link.group(1))
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
    body = b"".join(audio.streaming_content) if audio.streaming else audio.content
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE" and len(body) > 10_000  # seconds of speech


def test_a_spent_or_unknown_captcha_has_no_audio(client):
    client.get("/login/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    CaptchaStore.objects.filter(hashkey=key).delete()
    assert client.get(f"/captcha/audio/{key}.wav").status_code == 410
