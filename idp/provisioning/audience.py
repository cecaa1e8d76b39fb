"""Which business systems know an account: those it entered (through 在线办事 or by signing on)
or holds a grant for — the systems told of its changes by webhooks and SCIM."""

from django.db.models import Q

from idp.accounts.models import Account
from idp.catalogue.models import BusinessSystem, SystemVisit
from idp.delegation.models import Grant
from idp.delegation.selectors import grants_in_force
from idp.sso.models import Participant


def systems_knowing(account_id: int) -> set[int]:
    """The systems an account has entered or holds a grant for (as the person or the organisation)."""
    entered = set(SystemVisit.objects.filter(account_id=account_id).values_list("system_id", flat=True))
    signed_on = Participant.objects.filter(session__account_id=account_id).values_list("client__system_id", flat=True)
    granted = Grant.objects.filter(Q(person_id=account_id) | Q(organisation_id=account_id)).values_list(
        "system_id", flat=True)
    return entered | set(signed_on) | set(granted)


def accounts_of(system: BusinessSystem):
    """The other way round: the accounts a system knows (grants only while in force), chosen in the
    database — a system's audience may be millions, too many to pass back as a list of ids."""
    granted = grants_in_force().filter(system=system)
    known = (Q(pk__in=SystemVisit.objects.filter(system=system).values("account_id"))
             | Q(pk__in=Participant.objects.filter(client__system=system).values("session__account_id"))
             | Q(pk__in=granted.values("person_id")) | Q(pk__in=granted.values("organisation_id")))
    return Account.objects.filter(known).select_related("person", "organisation").order_by("pk")
