"""Automatic real-name verification against a registry (SPEC 3).

The national registry is an outside service; IDP_REALNAME_VERIFIER chooses who answers:
`reference` — a local reference data set (a CSV that ships with the project and that an
operator can replace through IDP_REALNAME_REFERENCE_CSV); `http` — a real registry over HTTP.
Both answer the same three outcomes: match, mismatch (with a reason the user can act on) and
unavailable (the registry could not answer: try again later).
"""

import csv
import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

log = logging.getLogger(__name__)

MATCH, MISMATCH, UNAVAILABLE = "match", "mismatch", "unavailable"
TRY_LATER = gettext_lazy("国家平台暂时无法核验,请稍后再试")


@dataclass(frozen=True)
class PersonQuery:
    name: str
    id_type: str
    id_number: str


@dataclass(frozen=True)
class OrganisationQuery:
    name: str
    uscc: str
    legal_representative: str


@dataclass(frozen=True)
class Result:
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class ReferenceData:
    persons: dict  # (id_type, id_number) -> name
    organisations: dict  # uscc -> (name, legal representative)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> ReferenceData:
    persons, organisations = {}, {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "person":
                persons[(row["id_type"], row["id_number"].upper())] = row["name"]
            elif row["kind"] == "organisation":
                organisations[row["uscc"].upper()] = (row["name"], row["legal_representative"])
    return ReferenceData(persons, organisations)


class ReferenceVerifier:
    """Answers from the reference data set (fictitious but valid identities; README)."""

    def __init__(self, path: str):
        self.path = path

    def data(self) -> ReferenceData:
        return _load(self.path, os.path.getmtime(self.path))

    def check_person(self, query: PersonQuery) -> Result:
        name = self.data().persons.get((query.id_type, query.id_number))
        if name is None:
            return Result(MISMATCH, _("国家平台未查询到该证件信息,请核对证件类型和证件号码;"
                                    "如信息无误,请上传证件进行人工认证"))
        if name != query.name:
            return Result(MISMATCH, _("姓名与证件号码不匹配,请核对姓名"))
        return Result(MATCH)

    def check_organisation(self, query: OrganisationQuery) -> Result:
        found = self.data().organisations.get(query.uscc)
        if found is None:
            return Result(MISMATCH, _("国家平台未查询到该统一社会信用代码,请核对;如信息无误,请上传材料进行人工认证"))
        name, legal_representative = found
        if name != query.name:
            return Result(MISMATCH, _("单位名称与统一社会信用代码登记的名称不一致,请核对单位名称"))
        if legal_representative != query.legal_representative:
            return Result(MISMATCH, _("法定代表人姓名与登记信息不一致,请核对法定代表人姓名"))
        return Result(MATCH)


class HttpVerifier:
    """A real registry: POST JSON to <url>/person or <url>/organisation with a bearer token.

    The registry answers 200 with {"match": true} or {"match": false, "reason": "…"}.
    Time-outs, connection errors, 429 and 5xx are retried with back-off; when the registry
    still cannot answer, or answers something else, the outcome is `unavailable`.
    """

    RETRY_STATUSES = {429, 500, 502, 503, 504}

    def __init__(self, url: str, token: str, timeout: float, retries: int):
        if not url:
            raise ImproperlyConfigured("IDP_REALNAME_VERIFIER=http needs IDP_REALNAME_HTTP_URL")
        self.url, self.token, self.timeout, self.retries = url.rstrip("/"), token, timeout, retries

    def _post(self, path: str, payload: dict) -> Result:
        request = urllib.request.Request(
            f"{self.url}/{path}",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(0.2 * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = json.loads(response.read(65536))
            except urllib.error.HTTPError as exc:
                if exc.code in self.RETRY_STATUSES:
                    continue
                log.warning("registry answered %s for %s", exc.code, path)
                return Result(UNAVAILABLE, TRY_LATER)
            except (OSError, ValueError) as exc:  # time-out, refused, bad JSON
                log.warning("registry unreachable (%s): %s", path, exc)
                continue
            if not isinstance(body, dict) or not isinstance(body.get("match"), bool):
                log.warning("registry gave an unexpected answer for %s", path)
                return Result(UNAVAILABLE, TRY_LATER)
            if body["match"]:
                return Result(MATCH)
            return Result(MISMATCH, str(body.get("reason") or _("身份信息与国家平台登记信息不一致,请核对"))[:200])
        return Result(UNAVAILABLE, TRY_LATER)

    def check_person(self, query: PersonQuery) -> Result:
        return self._post("person", {"name": query.name, "id_type": query.id_type,
                                     "id_number": query.id_number})

    def check_organisation(self, query: OrganisationQuery) -> Result:
        return self._post("organisation", {"name": query.name, "uscc": query.uscc,
                                           "legal_representative": query.legal_representative})


def verifier():
    kind = settings.IDP_REALNAME_VERIFIER
    if kind == "reference":
        return ReferenceVerifier(settings.IDP_REALNAME_REFERENCE_CSV)
    if kind == "http":
        return HttpVerifier(settings.IDP_REALNAME_HTTP_URL, settings.IDP_REALNAME_HTTP_TOKEN,
                            settings.IDP_REALNAME_HTTP_TIMEOUT, settings.IDP_REALNAME_HTTP_RETRIES)
    raise ImproperlyConfigured(f"IDP_REALNAME_VERIFIER: unknown verifier {kind!r}")
