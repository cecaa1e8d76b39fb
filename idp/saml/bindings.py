"""The two bindings a browser carries SAML messages in (SAML 2.0 Bindings §3.4, §3.5):
HTTP-Redirect (DEFLATE, base64, in the query, a detached signature beside it) and HTTP-POST
(base64 in an auto-submitted form, the signature inside the message)."""

import base64
import binascii
import zlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import render

from idp.saml import signing
from idp.saml.xml import MAX_DOCUMENT_BYTES, MalformedMessage, parse

MESSAGE_PARAMETERS = ("SAMLRequest", "SAMLResponse")


@dataclass
class Received:
    parameter: str  # SAMLRequest or SAMLResponse
    root: object  # the message's root element
    relay_state: str
    binding: str  # "redirect" or "post"
    query: str  # the raw query string (for the detached signature of the Redirect binding)


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj(-15)
    document = inflater.decompress(data, MAX_DOCUMENT_BYTES + 1)
    if len(document) > MAX_DOCUMENT_BYTES or inflater.unconsumed_tail:
        raise MalformedMessage("the message is too large")
    return document


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage("the message is not base64") from None


def receive(request) -> Received:
    """The SAML message of a request, by either binding; MalformedMessage if it has none."""
    source, binding = (request.POST, "post") if request.method == "POST" else (request.GET, "redirect")
    parameter = next((name for name in MESSAGE_PARAMETERS if name in source), None)
    if parameter is None:
        raise MalformedMessage("no SAMLRequest or SAMLResponse")
    data = _b64(source[parameter])
    if binding == "redirect":
        try:
            document = _inflate(data)
        except zlib.error:
            raise MalformedMessage("the message is not DEFLATE-encoded") from None
    else:
        document = data
    return Received(parameter, parse(document), source.get("RelayState", ""), binding,
                    request.META.get("QUERY_STRING", ""))


def redirect_url(location: str, parameter: str, document: bytes, relay_state: str = "") -> str:
    """`location` with the message DEFLATEd in the query, signed (RSA-SHA256)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    encoded = base64.b64encode(compressor.compress(document) + compressor.flush()).decode()
    pairs = [(parameter, encoded)] + ([("RelayState", relay_state)] if relay_state else [])
    pairs.append(("SigAlg", signing.RSA_SHA256))
    signed = urlencode(pairs)
    separator = "&" if "?" in location else "?"
    return f"{location}{separator}{signed}&{urlencode({'Signature': signing.sign_redirect(signed)})}"


def post_form(request, location: str, parameter: str, document: bytes, relay_state: str = ""):
    """The page that carries the message to `location` by a form the browser submits at once
    (a button without scripts)."""
    return render(request, "saml/post.html", {
        "location": location, "parameter": parameter, "value": base64.b64encode(document).decode(),
        "relay_state": relay_state})
