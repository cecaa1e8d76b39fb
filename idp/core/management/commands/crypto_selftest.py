"""CONTRACT.md: the known answers of the algorithms the platform uses — SM2, SM3, SM4 (GB/T 32918,
32905, 32907) and the international ones; non-zero exit on any mismatch (`make serve` runs it
before it starts and refuses to start then)."""

from django.core.management.base import BaseCommand, CommandError

from idp.core import gm


class Command(BaseCommand):
    help = "密码算法自检:SM2/SM3/SM4 国家标准向量与国际算法,任一不符则以非零状态退出"

    def handle(self, *args, **options):
        results = gm.self_test()
        for name, ok in results:
            self.stdout.write(f"{'ok  ' if ok else 'FAIL'} {name}")
        failed = [name for name, ok in results if not ok]
        if failed:
            raise CommandError(f"crypto self-test failed: {', '.join(failed)}")
        self.stdout.write(f"crypto self-test passed ({len(results)} known answers)")
