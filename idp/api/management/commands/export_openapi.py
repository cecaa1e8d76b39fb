"""Write the operator API's OpenAPI document to docs/openapi.json (a test compares the two, so a
change of the API shows in review)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from idp.api.views import api


class Command(BaseCommand):
    help = "把运维接口的 OpenAPI 文档写入 docs/openapi.json"

    def handle(self, *args, **options):
        target = Path(settings.BASE_DIR) / "docs" / "openapi.json"
        target.write_text(json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        self.stdout.write(str(target))
