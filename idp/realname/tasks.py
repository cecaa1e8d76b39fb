"""The automatic real-name check of a new account, asked at registration and run by a worker,
so the registration request never waits for the registry (timeout × retries)."""

from idp.accounts.models import Account
from idp.realname import services


def check_registration(account_id: int, ip: str) -> str:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return "gone"
    return services.check_automatically(account=account, actor=account, ip=ip)
