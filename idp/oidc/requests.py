"""A Django request as Authlib's OAuth2Request: the form and query as Authlib's payload, and the
headers read straight from the WSGI environ (no copy of every header per request)."""

from collections.abc import Mapping

from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from django.conf import settings
from django.http.request import HttpHeaders


class _Payload(OAuth2Payload):
    def __init__(self, request):
        data = request.GET.dict()
        data.update(request.POST.dict())
        self._data = data
        self._request = request

    @property
    def data(self):
        return self._data

    @property
    def datalist(self):
        merged = {k: self._request.GET.getlist(k) for k in self._request.GET}
        for k in self._request.POST:
            merged.setdefault(k, []).extend(self._request.POST.getlist(k))
        return merged


class _Headers(Mapping):
    """Request headers read straight from the WSGI environ (Authlib asks for one or two)."""

    def __init__(self, meta):
        self.meta = meta

    @staticmethod
    def _key(name: str) -> str:
        key = name.upper().replace("-", "_")
        return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key

    def __getitem__(self, name):
        return self.meta[self._key(name)]

    def get(self, name, default=None):
        return self.meta.get(self._key(name), default)

    def __iter__(self):
        return iter(HttpHeaders(self.meta))

    def __len__(self):
        return len(HttpHeaders(self.meta))

    def __bool__(self):  # a request always has headers; without this, `headers or {}` would count them
        return True


class AuthlibRequest(OAuth2Request):
    def __init__(self, request):
        super().__init__(request.method, settings.IDP_ISSUER + request.get_full_path(), headers=_Headers(request.META))
        self.payload = _Payload(request)
        self._request = request

    @property
    def args(self):
        return self._request.GET

    @property
    def form(self):
        return self._request.POST
