"""Who may act for whom: the one answer every part of the platform uses (SPEC 4)."""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from idp.accounts.models import Account
from idp.delegation.models import Grant, GrantStatus


def grants_in_force(*, on: date | None = None) -> QuerySet[Grant]:
    """Active grants not past their expiry date (the expiry day itself still counts)."""
    on = on or timezone.localdate()
    return Grant.objects.filter(status=GrantStatus.ACTIVE).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on))


def organisations_for(*, person: Account, system, on: date | None = None) -> QuerySet[Account]:
    """The organisations `person` may act for in `system` right now."""
    org_ids = grants_in_force(on=on).filter(person=person, system=system).values("organisation_id")
    return (Account.objects.filter(pk__in=org_ids, is_active=True).select_related("organisation")
            .order_by("organisation__name"))


def grants_received(person: Account) -> QuerySet[Grant]:
    """法人(单位)授权办理情况: the grants in force for this person."""
    return (grants_in_force().filter(person=person)
            .select_related("organisation__organisation", "system").order_by("organisation_id", "system__name"))


def grants_given(organisation: Account) -> QuerySet[Grant]:
    """The organisation's grants in force, for 用户授权管理."""
    return (grants_in_force().filter(organisation=organisation)
            .select_related("person__person", "system").order_by("person_id", "system__name"))


def systems_with_grants(person: Account) -> QuerySet:
    """IDs of the business systems in which `person` may act for some organisation now."""
    return grants_in_force().filter(person=person).values("system_id")
