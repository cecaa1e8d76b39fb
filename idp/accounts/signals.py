from django.dispatch import Signal

# Sent with `account` after its password was reset through recovery (5.1 or an approved
# appeal's link). Django's session hash already ends the account's platform sessions; single
# sign-on connects a receiver here to revoke the account's refresh tokens and end its SSO
# sessions at the business systems.
credentials_reset = Signal()
