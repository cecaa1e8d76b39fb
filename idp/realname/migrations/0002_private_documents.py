# Uploaded documents move from one node's disk (IDP_PRIVATE_STORAGE/evidence, before this
# version) into the database, encrypted; the files are left where they were for the operator
# to delete once the upgrade is confirmed (docs/platform.md, "Manual verification").

import base64
import os
from pathlib import Path

import idp.core.fields
from django.db import migrations, models

from config.env import VAR_DIR


def import_files_from_disk(apps, schema_editor):
    directory = Path(os.environ.get("IDP_PRIVATE_STORAGE") or VAR_DIR / "private") / "evidence"
    if not directory.is_dir():
        return
    PrivateDocument = apps.get_model("realname", "PrivateDocument")
    for path in sorted(directory.iterdir()):
        if path.is_file() and not PrivateDocument.objects.filter(name=path.name).exists():
            PrivateDocument.objects.create(name=path.name, content=base64.b64encode(path.read_bytes()).decode())


class Migration(migrations.Migration):

    dependencies = [
        ('realname', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PrivateDocument',
            fields=[
                ('name', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('content', idp.core.fields.EncryptedTextField(bind='name')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.RunPython(import_files_from_disk, migrations.RunPython.noop),
    ]
