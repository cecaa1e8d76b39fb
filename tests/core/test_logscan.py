"""The end-of-run log scan (tests/logscan.py) finds what it is meant to find, and only that."""

import json

from tests import factories, logscan


def test_the_scan_finds_secrets_and_passes_ordinary_lines(tmp_path):
    log = tmp_path / "sample.txt"  # not *.log: the end-of-run scan must not find these
    ordinary = {"time": "2026-12-02T10:00:00+00:00", "level": "INFO", "logger": "idp.request",
                "request_id": "5f0c2a9e4b7d4c1e8a6b3d2f1e0c9b8a", "method": "POST", "path": "/password/set/[redacted]/",
                "status": 302, "duration_ms": 12.5, "client": "10.0.0.7", "account_id": 42}
    secrets = [
        {**ordinary, "path": "/oidc/userinfo?access_token=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
        {**ordinary, "message": f"user typed {factories.PASSWORD}"},
        {**ordinary, "message": "lookup for 11010519491231002X failed"},
        {**ordinary, "message": "sent 【政务服务平台】您的注册验证码为 123456,5 分钟内有效"},
        {**ordinary, "path": "/password/set/Qm9vb0Zvb0Jhcl9CYXpfUXV4LVF1dXhfQ29ycmVjdA7/"},
    ]
    log.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [ordinary, *secrets]) + "\n")
    found = logscan.findings([log])
    assert [entry.split(":")[1] for entry in found] == ["2", "3", "4", "5", "6"]
    assert not any(":1:" in entry for entry in found)
