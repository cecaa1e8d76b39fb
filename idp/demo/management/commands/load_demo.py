"""Demo data for `make run` (README, "Trying it"): accounts, business systems and service
items, and the portal's example notices, hot services, answers and results. Running it again
changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from idp.accounts.models import (
    AGENT_DOCUMENT,
    LR_DOCUMENT,
    OWN_DOCUMENT,
    Account,
    AccountKind,
    NaturalPerson,
    Organisation,
    set_document,
)
from idp.catalogue.models import BusinessSystem
from idp.delegation.selectors import organisations_for
from idp.delegation.services import create_grants
from idp.demo import catalogue, portal
from idp.demo import clients as demo_clients
from idp.realname import services as realname

REVIEWER = ("reviewer", "Review@2026")
PERSON = ("demo_person", "Demo@2026a")
ORGANISATION = ("demo_org", "Demo@2026b")


class Command(BaseCommand):
    help = "Create the demo reviewer, natural-person and legal-person accounts if missing."

    @transaction.atomic
    def handle(self, *args, **options):
        from django.conf import settings
        from django.core.management.base import CommandError

        if settings.IDP_PRODUCTION:
            raise CommandError("load_demo creates accounts with published passwords: never in production.")
        created = []
        if not Account.objects.filter(login_name__lower=REVIEWER[0]).exists():
            reviewer = Account.objects.create_user(REVIEWER[0], REVIEWER[1], kind=AccountKind.NATURAL,
                                                   phone="13800000000", is_staff=True,
                                                   is_superuser=True)
            NaturalPerson.objects.create(account=reviewer, name="审核员")
            created.append(REVIEWER[0])
        if not Account.objects.filter(login_name__lower=PERSON[0]).exists():
            account = Account.objects.create_user(PERSON[0], PERSON[1], kind=AccountKind.NATURAL,
                                                  phone="13900139000", email="person@example.cn")
            person = NaturalPerson(account=account, name="张三", gender="male", ethnicity="汉族")
            set_document(person, OWN_DOCUMENT, identity_type="mainland", id_type="resident_id",
                         id_number="11010519491231002X")
            person.save()
            created.append(PERSON[0])
        if not Account.objects.filter(login_name__lower=ORGANISATION[0]).exists():
            account = Account.objects.create_user(ORGANISATION[0], ORGANISATION[1],
                                                  kind=AccountKind.LEGAL, phone="13700137000",
                                                  email="org@example.cn")
            org = Organisation(account=account, name="示例科技有限公司", region_type="domestic",
                               legal_type="enterprise", uscc="91110108MA01ET88XL",
                               lr_name="李四", lr_mobile="13600136000", agent_name="王五",
                               region="北京市海淀区")
            set_document(org, LR_DOCUMENT, identity_type="mainland", id_type="resident_id",
                         id_number="110105194912310038")
            set_document(org, AGENT_DOCUMENT, identity_type="mainland", id_type="resident_id",
                         id_number="110105198001010016")
            org.save()
            created.append(ORGANISATION[0])
        for account in Account.objects.filter(login_name__in=created, is_staff=False):
            realname.check_automatically(account=account, actor=None)  # both are in the registry
        systems = catalogue.load()
        self.stdout.write("demo business systems: " + (", ".join(systems) if systems else "already present"))
        demo_clients.register_demo_clients()  # new secrets each run, written to var/demo-clients.json
        self._grant_demo_person()
        shown = portal.load(asker=Account.objects.filter(login_name__lower=PERSON[0]).first(),
                            operator=Account.objects.filter(login_name__lower=REVIEWER[0]).first())
        self.stdout.write("demo portal: " + (", ".join(sorted(set(shown))) if shown else "already present"))
        self.stdout.write("demo accounts: " + (", ".join(created) if created else "already present"))

    def _grant_demo_person(self):
        """demo_org authorises demo_person in the two demo systems (act for an organisation)."""
        person = Account.objects.filter(login_name__lower=PERSON[0]).first()
        org = Account.objects.filter(login_name__lower=ORGANISATION[0]).first()
        if person is None or org is None:
            return
        systems = BusinessSystem.objects.filter(code__in=[catalogue.HIGH_TECH, catalogue.TECH_SME])
        missing = [s for s in systems if org not in organisations_for(person=person, system=s)]
        if missing:
            create_grants(organisation=org, person=person, systems=missing, expires_on=None, actor=org)
