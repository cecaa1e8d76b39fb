"""Read-only questions about accounts (the 检索…是否已注册 checks, and more)."""

from idp.accounts.models import Account, NaturalPerson, Organisation
from idp.core import crypto


def login_name_exists(login_name: str) -> bool:
    return Account.objects.filter(login_name__lower=login_name.lower()).exists()


def person_document_exists(id_type: str, id_number: str) -> bool:
    return NaturalPerson.objects.filter(id_index__in=crypto.blind_indexes(id_type, id_number)).exists()


def uscc_exists(uscc: str) -> bool:
    return Organisation.objects.filter(uscc=uscc).exists()


def org_name_exists(name: str) -> bool:
    return Organisation.objects.filter(name=name).exists()


def phone_exists(phone: str) -> bool:
    return Account.objects.filter(phone=phone).exists()

