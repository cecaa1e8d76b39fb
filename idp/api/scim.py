"""The platform's own SCIM 2.0 service (RFC 7643/7644) at /scim/v2/, for operators' tools: natural
persons as `User`s, read and written; organisations as `Group`s of their delegates, read only.

The resources are scim2-models' models built from the schema published here (`USER_SCHEMA`): only
what the platform keeps and lets a tool set — `userName` (the login name, immutable), `name.formatted`,
`active`, `password` (write only), `externalId` — with `displayName` and `userType` read only. Requests
are parsed and PATCH operations applied by scim2-models on the resource as it is; what changed is then
done by the services the pages use (accounts/services.py): validation, the password rules, the audit
log, sessions ended. Searches are translated into SQL (`where`), never evaluated in memory.

Why Groups are read only: an organisation exists only through its own registration (licence, legal
representative, real-name rules), and a delegate is authorised for a business system by the
organisation itself (用户授权管理) — a directory tool can do neither on its behalf. So /Groups is not
announced in /ResourceTypes and /Schemas, where a generic SCIM client expects to write what it finds;
tools that know it read organisations and their delegates there.
"""

import hashlib
import json

from django.db.models import Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime
from scim2_models import (
    Context,
    Group,
    GroupMember,
    InvalidFilterException,
    InvalidValueException,
    Meta,
    Mutability,
    Required,
    Resource,
    ResourceType,
    User,
)
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, Not, Present

from idp.accounts.models import Account, AccountKind
from idp.delegation.selectors import grants_in_force

MAX_RESULTS = 200
USER_ATTRIBUTES = {"userName": Mutability.immutable, "name": Mutability.read_write,
                   "displayName": Mutability.read_only, "userType": Mutability.read_only,
                   "active": Mutability.read_write, "password": Mutability.write_only}


def _user_schema():
    schema = User.to_schema()
    attributes = []
    for attribute in schema.attributes:
        if attribute.name not in USER_ATTRIBUTES:
            continue
        update = {"mutability": USER_ATTRIBUTES[attribute.name]}
        if attribute.name == "active":
            update["required"] = Required.true  # every account is enabled or disabled: "removing" it means nothing
        if attribute.name == "name":
            update["sub_attributes"] = [sub for sub in attribute.sub_attributes if sub.name == "formatted"]
        attributes.append(attribute.model_copy(update=update))
    return schema.model_copy(update={"attributes": attributes,
                                     "description": "Natural persons (自然人) of the platform"})


USER_SCHEMA = _user_schema()
PlatformUser = Resource.from_schema(USER_SCHEMA)
USER_TYPE = ResourceType.from_resource(PlatformUser).model_copy(update={"description": "自然人"})


# --- accounts as resources -----------------------------------------------------------------------

def persons() -> QuerySet:
    return Account.objects.filter(kind=AccountKind.NATURAL).select_related("person", "scim_link")


def organisations() -> QuerySet:
    """With each one's grants in force and their holders: a page of groups reads its members in one
    query, not one per group."""
    in_force = grants_in_force().select_related("person__person").order_by("person_id")
    return (Account.objects.filter(kind=AccountKind.LEGAL).select_related("organisation")
            .prefetch_related(Prefetch("grants_given", queryset=in_force, to_attr="grants_in_force")))


def _version(body: dict) -> str:
    return 'W/"' + hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:20] + '"'


def _finish(resource, kind: str, created, location: str):
    """meta, with a version that changes whenever anything the resource shows changes."""
    body = resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    resource.meta = Meta(resource_type=kind, created=created, last_modified=created, location=location,
                         version=_version(body))
    return resource


def user(account: Account, base: str):
    link = getattr(account, "scim_link", None)
    person = getattr(account, "person", None)
    resource = PlatformUser.model_validate({
        "id": str(account.pk), "userName": account.login_name,
        "externalId": link.external_id if link and link.external_id else None,
        "name": {"formatted": person.name} if person and person.name else None,
        "displayName": account.display_name, "userType": account.kind, "active": account.is_active})
    return _finish(resource, "User", account.date_joined, f"{base}/Users/{account.pk}")


def group(organisation: Account, base: str):
    """`organisation` as organisations() reads it; a person with grants for several systems is one member."""
    delegates = {grant.person_id: grant.person for grant in organisation.grants_in_force}.values()
    resource = Group(id=str(organisation.pk), display_name=organisation.display_name,
                     members=[GroupMember(value=str(p.pk), display=p.display_name, type="User",
                                          ref=f"{base}/Users/{p.pk}") for p in delegates] or None)
    return _finish(resource, "Group", organisation.date_joined, f"{base}/Groups/{organisation.pk}")


# --- searches in SQL -----------------------------------------------------------------------------

TEXT = {"username": "login_name", "name.formatted": "person__name", "displayname": "person__name",
        "externalid": "scim_link__external_id", "id": "pk"}
GROUP_TEXT = {"displayname": "organisation__name", "id": "pk"}
CASE_EXACT = {"scim_link__external_id", "pk"}
ORDERED = {"meta.created": "date_joined", "meta.lastmodified": "date_joined"}
SORTABLE = {"username": "login_name", "name.formatted": "person__name", "displayname": "person__name",
            "externalid": "scim_link__external_id", "id": "pk", "meta.created": "date_joined", "active": "is_active"}


def _field(path, columns: dict) -> str:
    name = str(path.attr_path if hasattr(path, "attr_path") else path).lower().split(":")[-1]
    if name in columns:
        return columns[name]
    raise InvalidFilterException(detail=f"cannot filter on {name}")


def _comparison(node: Comparison, columns: dict) -> Q:
    name = str(node.attr_path).lower().split(":")[-1]
    value, op = node.value, node.op
    if name == "active" and columns is TEXT:
        if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
            raise InvalidFilterException(detail="active compares with eq or ne and true or false")
        return Q(is_active=value) if op == CompareOperator.eq else ~Q(is_active=value)
    if name == "usertype" and columns is TEXT:
        matches = {CompareOperator.eq: value == AccountKind.NATURAL, CompareOperator.ne: value != AccountKind.NATURAL}
        return Q() if matches.get(op, False) else Q(pk__in=[])
    if name in ORDERED and columns is TEXT:
        column = ORDERED[name]
    else:
        column = _field(node, columns)
    if column == "pk":
        if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            raise InvalidFilterException(detail="id compares with eq, ne, gt, ge, lt or le")
        if not str(value).isdigit():
            return Q(pk__in=[]) if op != CompareOperator.ne else Q()
        value = int(value)
    if column == "date_joined":
        moment = parse_datetime(str(value))
        if moment is None or op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            raise InvalidFilterException(detail="meta.created compares with a date and time (RFC 3339)")
        value = moment
    exact = column in CASE_EXACT or column == "date_joined"
    if column == "login_name" and op in (CompareOperator.eq, CompareOperator.ne):
        test = Q(login_name__lower=str(value).lower())
        return test if op == CompareOperator.eq else ~test
    lookups = {CompareOperator.eq: "exact" if exact else "iexact", CompareOperator.ne: "exact" if exact else "iexact",
               CompareOperator.co: "contains" if exact else "icontains",
               CompareOperator.sw: "startswith" if exact else "istartswith",
               CompareOperator.ew: "endswith" if exact else "iendswith",
               CompareOperator.gt: "gt", CompareOperator.ge: "gte", CompareOperator.lt: "lt", CompareOperator.le: "lte"}
    test = Q(**{f"{column}__{lookups[op]}": value})
    return ~test if op == CompareOperator.ne else test


def where(node, columns: dict = TEXT) -> Q:
    """A parsed SCIM filter as a Django condition (attributes the resource does not have: 400)."""
    if isinstance(node, LogicalExpr):
        terms = [where(term, columns) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = (combined & term) if node.op.value == "and" else (combined | term)
        return combined
    if isinstance(node, Not):
        return ~where(node.expr, columns)
    if isinstance(node, Present):
        name = str(node.attr_path).lower().split(":")[-1]
        if columns is TEXT and name in ("active", "usertype", "username", "displayname", "id", "meta.created"):
            return Q()
        column = _field(node, columns)
        return Q(**{f"{column}__isnull": False}) & ~Q(**{column: ""})
    if isinstance(node, Comparison):
        return _comparison(node, columns)
    raise InvalidFilterException(detail="this filter is not supported here")


def order_column(sort_by: str | None, columns: dict = SORTABLE) -> str:
    name = str(sort_by).lower().split(":")[-1] if sort_by else "id"
    if name not in columns:
        raise InvalidValueException(detail=f"cannot sort by {sort_by}")
    return columns[name]
