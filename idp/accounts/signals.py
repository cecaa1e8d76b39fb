from django.dispatch import Signal

# Sent with `account` after its password was reset through recovery (5.1 or an approved
# appeal's link). Django's session hash already ends the account's platform sessions; single
# sign-on connects a receiver here to revoke the account's refresh tokens and end its SSO
# sessions at the business systems.
credentials_reset = Signal()

# Sent with `account` and `request` after the account holder changed the password (我的信息).
# The account's other platform sessions end (Django's session hash); single sign-on ends the
# other SSO sessions, and so logs the other browsers out of the business systems too.
password_changed = Signal()

# Sent with `account` and `ip` inside the registration's transaction: real-name verification
# (idp.realname, a layer above) queues the registry check for when the account is committed.
registered = Signal()

# Sent with `account`, `actor` and `ip` after 我的信息 saved a change of identity data: what was
# verified or submitted for review no longer applies (idp.realname checks again).
identity_changed = Signal()
