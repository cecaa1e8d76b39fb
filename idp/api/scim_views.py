"""/scim/v2/ (CONTRACT.md): the HTTP side of the platform's SCIM service (scim.py). Bearer tokens
from `manage.py create_scim_token` (scope scim:read, or scim:read and scim:write), limited like the
operator API's; answers `application/scim+json`; every refusal a SCIM Error naming what is wrong."""

import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ConflictException,
    Context,
    ETag,
    Filter,
    ForbiddenException,
    Group,
    InvalidFilterException,
    InvalidValueException,
    ListResponse,
    MutabilityException,
    NotFoundException,
    Patch,
    PatchOp,
    PreconditionFailedException,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    UnauthorizedException,
    UniquenessException,
)

from idp.accounts import services as accounts
from idp.accounts.services import Conflict, LoginNameTaken
from idp.api import scim, tokens
from idp.api.models import ScimLink, Scope
from idp.core.errors import Refused
from idp.core.http import client_ip

CONTENT_TYPE = "application/scim+json"


def base_url() -> str:
    return settings.IDP_ISSUER.rstrip("/") + "/scim/v2"


def answer(body: dict | None, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(b"" if body is None else json.dumps(body, ensure_ascii=False, default=str),
                            status=status, content_type=CONTENT_TYPE)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error(exc: SCIMException) -> HttpResponse:
    return answer(exc.to_error().model_dump(), status=exc.status)


def _invalid(exc: ValidationError) -> SCIMException:
    return InvalidValueException(detail="; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]))


def endpoint(writes: frozenset = frozenset()):
    """Authentication, scope (scim:write for the methods in `writes`), rate limit, and SCIM errors
    for every failure the client caused."""
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            kind, _, value = request.headers.get("Authorization", "").partition(" ")
            token = tokens.authenticate(value.strip()) if kind.lower() == "bearer" else None
            if token is None:
                return error(UnauthorizedException(detail="a valid bearer token is needed"))
            needed = [Scope.SCIM_READ] + ([Scope.SCIM_WRITE] if request.method in writes else [])
            if missing := [scope for scope in needed if scope not in token.scopes]:
                return error(ForbiddenException(detail=f"this token lacks the scope {missing[0]}"))
            if not tokens.within_rate(token):
                return answer(SCIMException(detail="rate limit: at most 600 calls a minute").to_error()
                              .model_copy(update={"status": 429}).model_dump(), status=429)
            request.token = token
            try:
                return view(request, *args, **kwargs)
            except SCIMException as exc:
                return error(exc)
            except ValidationError as exc:
                return error(_invalid(exc))
            except (json.JSONDecodeError, UnicodeDecodeError):
                return error(InvalidValueException(detail="the body is not JSON"))
            except ObjectDoesNotExist:
                return error(NotFoundException(detail="no such resource"))
        return wrapper
    return decorate


def _body(request) -> dict:
    body = json.loads(request.body.decode() or "{}")
    if not isinstance(body, dict):
        raise InvalidValueException(detail="the body must be a JSON object")
    return body


def _via(request) -> str:
    return f"scim:{request.token.name}"


def _not_allowed(request, allowed: str) -> HttpResponse:
    response = answer(SCIMException(detail=f"{request.method} is not allowed here").to_error()
                      .model_copy(update={"status": 405}).model_dump(), status=405)
    response["Allow"] = allowed
    return response


# --- discovery -----------------------------------------------------------------------------------

def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None, patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0,
                                                                       max_payload_size=0),
        filter=Filter(supported=True, max_results=scim.MAX_RESULTS), change_password=ChangePassword(supported=True),
        sort=Sort(supported=True), etag=ETag(supported=True),
        authentication_schemes=[AuthenticationScheme(type="oauthbearertoken", name="Bearer token",
                                                     description="from manage.py create_scim_token", primary=True)])


def _listing(resources: list) -> dict:
    return ListResponse[type(resources[0]) if resources else ServiceProviderConfig](
        total_results=len(resources), start_index=1, items_per_page=len(resources),
        resources=resources).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


@endpoint()
def service_provider_config(request):
    if request.method != "GET":
        return _not_allowed(request, "GET")
    config = _config()
    config.meta = None
    return answer(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _with_location(resource, path: str):
    resource.meta = (resource.meta or type(resource).model_fields["meta"].annotation.__args__[0]()).model_copy(
        update={"location": f"{base_url()}/{path}", "resource_type": type(resource).__name__})
    return resource


def _schemas():
    return {schema.id: _with_location(schema.model_copy(), f"Schemas/{schema.id}")
            for schema in (scim.USER_SCHEMA,)}


def _types():
    return {kind.id: _with_location(kind.model_copy(), f"ResourceTypes/{kind.id}")
            for kind in (scim.USER_TYPE,)}


@endpoint()
def schemas(request, schema_id=None):
    if request.method != "GET":
        return _not_allowed(request, "GET")
    found = _schemas()
    if schema_id is None:
        return answer(_listing(list(found.values())))
    if schema_id not in found:
        raise NotFoundException(detail=f"no schema {schema_id}")
    return answer(found[schema_id].model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@endpoint()
def resource_types(request, type_id=None):
    if request.method != "GET":
        return _not_allowed(request, "GET")
    found = _types()
    if type_id is None:
        return answer(_listing(list(found.values())))
    if type_id not in found:
        raise NotFoundException(detail=f"no resource type {type_id}")
    return answer(found[type_id].model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


# --- searching -----------------------------------------------------------------------------------

def _search(request, model, query, publish, columns, sortable):
    parameters = _body(request) if request.method == "POST" else {k: v for k, v in request.GET.items() if k in (
        "filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes")}
    try:
        search = SearchRequest[model].model_validate(parameters, scim_ctx=Context.SEARCH_REQUEST)
    except ValidationError as exc:
        if any(error["loc"][:1] == ("filter",) for error in exc.errors()):
            raise InvalidFilterException(detail=_invalid(exc).detail) from None
        raise
    found = query
    if search.filter:
        found = found.filter(scim.where(search.filter.ast, columns))
    column = scim.order_column(search.sort_by, sortable)
    descending = search.sort_order == SearchRequest.SortOrder.descending
    found = found.order_by(f"-{column}" if descending else column, "pk").distinct()
    total = found.count()
    start = max(search.start_index or 1, 1)
    count = min(search.count if search.count is not None else scim.MAX_RESULTS, scim.MAX_RESULTS)
    page = list(found[start - 1:start - 1 + count]) if count > 0 else []
    resources = [publish(account, base_url()).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE,
                                                          response_parameters=search) for account in page]
    listing = ListResponse[model](total_results=total, start_index=start, items_per_page=len(resources),
                                  resources=resources)
    return answer(listing.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _parameters(request, model):
    return ResponseParameters[model].model_validate(
        {k: v for k, v in request.GET.items() if k in ("attributes", "excludedAttributes")})


def _shown(resource, request, model, status=200, context=Context.RESOURCE_QUERY_RESPONSE, **headers):
    body = resource.model_dump(scim_ctx=context, response_parameters=_parameters(request, model))
    return answer(body, status=status, ETag=resource.meta.version, Content_Location=resource.meta.location,
                  **headers)


def _check_version(request, resource) -> None:
    expected = request.headers.get("If-Match")
    if expected and expected.strip() != "*" and resource.meta.version not in [v.strip() for v in expected.split(",")]:
        raise PreconditionFailedException(detail="the resource has changed (If-Match)")


# --- Users ---------------------------------------------------------------------------------------

def _person(pk: str):
    if not pk.isdigit() or len(pk) > 18:  # beyond a bigint: no such account
        raise NotFoundException(detail=f"no User {pk}")
    return scim.persons().get(pk=int(pk))


def _writable(account) -> None:
    if account.admin_role or account.is_superuser:
        raise ForbiddenException(detail="administrators' accounts are changed on a node's shell")


def _refused(exc: Refused) -> SCIMException:
    if isinstance(exc, LoginNameTaken):
        return UniquenessException(detail=str(exc))
    if isinstance(exc, Conflict):
        return ConflictException(detail=str(exc))
    return InvalidValueException(detail=f"{exc.field}: {exc}" if exc.field else str(exc))


def _apply(request, account, before, after) -> None:
    """Do what changed between two states of a User through the platform's services."""
    ip, via = client_ip(request), _via(request)
    name = after.name.formatted if after.name and after.name.formatted else ""
    if name != (before.name.formatted if before.name and before.name.formatted else ""):
        accounts.check_person_name(name)
        person = account.person
        person.name = name
        accounts.update_profile(account=account, profile=person, email=account.email, documents=(), actor=None,
                                ip=ip)
    if after.active is not None and after.active != account.is_active:
        accounts.set_active(account=account, active=after.active, actor=None, ip=ip, reason=via)
    if after.external_id != before.external_id:
        ScimLink.objects.update_or_create(account=account, defaults={"external_id": after.external_id or ""})
    if after.password:
        accounts.set_password_by_operator(account=account, password=after.password, via=via, ip=ip)


@endpoint(writes=frozenset({"POST"}))
def users(request):
    if request.method == "GET":
        return _search(request, scim.PlatformUser, scim.persons(), scim.user, scim.TEXT, scim.SORTABLE)
    if request.method != "POST":
        return _not_allowed(request, "GET, POST")
    return _create_user(request)


def _create_user(request):
    wanted = scim.PlatformUser.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    name = wanted.name.formatted if wanted.name and wanted.name.formatted else ""
    if not wanted.user_name:
        raise InvalidValueException(detail="userName is required")
    try:
        with transaction.atomic():
            account = accounts.create_by_operator(
                login_name=wanted.user_name, name=name, password=wanted.password, via=_via(request),
                ip=client_ip(request))
            ScimLink.objects.create(account=account, external_id=wanted.external_id or "", created_through_scim=True)
            if wanted.active is False:
                accounts.set_active(account=account, active=False, actor=None, ip=client_ip(request),
                                    reason=_via(request))
    except Refused as exc:
        raise _refused(exc) from None
    resource = scim.user(scim.persons().get(pk=account.pk), base_url())
    return _shown(resource, request, scim.PlatformUser, status=201, context=Context.RESOURCE_CREATION_RESPONSE,
                  Location=resource.meta.location)


@endpoint()
def search_users(request):
    if request.method != "POST":
        return _not_allowed(request, "POST")
    return _search(request, scim.PlatformUser, scim.persons(), scim.user, scim.TEXT, scim.SORTABLE)


@endpoint(writes=frozenset({"PUT", "PATCH", "DELETE"}))
def user(request, pk):
    if request.method == "GET":
        resource = scim.user(_person(pk), base_url())
        if request.headers.get("If-None-Match", "").strip() == resource.meta.version:
            return answer(None, status=304, ETag=resource.meta.version)
        return _shown(resource, request, scim.PlatformUser)
    if request.method in ("PUT", "PATCH", "DELETE"):
        return _change_user(request, pk)
    return _not_allowed(request, "GET, PUT, PATCH, DELETE")


def _change_user(request, pk):
    account = _person(pk)
    current = scim.user(account, base_url())
    _check_version(request, current)
    _writable(account)
    try:
        with transaction.atomic():
            if request.method == "DELETE":
                accounts.delete_unused(account=account, via=_via(request), ip=client_ip(request))
                return answer(None, status=204)
            if request.method == "PUT":
                after = scim.PlatformUser.model_validate(_body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
                if after.user_name is not None and after.user_name != current.user_name:
                    raise MutabilityException(detail="userName is immutable")
            else:
                operations = PatchOp[scim.PlatformUser].model_validate(_body(request),
                                                                       scim_ctx=Context.RESOURCE_PATCH_REQUEST)
                after = current.model_copy(deep=True)
                operations.patch(after)
            _apply(request, account, current, after)
    except Refused as exc:
        raise _refused(exc) from None
    resource = scim.user(scim.persons().get(pk=account.pk), base_url())
    return _shown(resource, request, scim.PlatformUser, context=Context.RESOURCE_REPLACEMENT_RESPONSE)


# --- Groups (read only) --------------------------------------------------------------------------

@endpoint()
def groups(request):
    if request.method not in ("GET",):
        return _not_allowed(request, "GET")
    return _search(request, Group, scim.organisations(), scim.group, scim.GROUP_TEXT, scim.GROUP_TEXT)


@endpoint()
def search_groups(request):
    if request.method != "POST":
        return _not_allowed(request, "POST")
    return _search(request, Group, scim.organisations(), scim.group, scim.GROUP_TEXT, scim.GROUP_TEXT)


@endpoint()
def group(request, pk):
    if request.method != "GET":
        return _not_allowed(request, "GET")
    if not pk.isdigit() or len(pk) > 18:
        raise NotFoundException(detail=f"no Group {pk}")
    resource = scim.group(scim.organisations().get(pk=int(pk)), base_url())
    return _shown(resource, request, Group)


@endpoint()
def not_found(request, rest):
    raise NotFoundException(detail=f"no endpoint {rest}")
