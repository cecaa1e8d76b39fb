"""Two Apache httpd service providers with mod_auth_mellon 0.18 (Debian's package, Lasso inside),
set up by the recipes of docs/integrators.md: SP-initiated and IdP-initiated sign-on, a persistent
NameID per provider, the attributes, an assertion that travels only encrypted and that xmlsec1
verifies, single logout from one provider ending the other's session, and the responses mellon
must refuse (replayed, tampered, for another audience, expired)."""

import base64
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import xmlsec
from django.utils import timezone
from lxml import etree
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests import factories
from tests.interop import recipes
from tests.interop.servers import backend, free_port, platform, require, require_apache  # noqa: F401 (fixtures)
from tests.interop.test_mod_auth_openidc import _headers, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
      "xenc": "http://www.w3.org/2001/04/xmlenc#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
RECIPE_DIR, RECIPE_FILES = "/etc/apache2/mellon", "https_app.example.gov.cn_saml"


class Provider:
    """One mellon service provider: its files, registration and Apache."""

    def __init__(self, tmp_path, platform, backend, *, host: str, code: str):  # noqa: F811
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        # Apache's unprivileged user reads the files, and cannot enter pytest's private folder.
        self.dir = Path(tempfile.mkdtemp(prefix="idp-mellon-"))
        self.files = f"http_{host}_{self.port}_saml"  # mellon_create_metadata's name for the entity ID
        places = {"platform": platform.url, "app": self.url, RECIPE_DIR: str(self.dir),
                  RECIPE_FILES: self.files, "示例SAML系统": f"示例SAML系统{self.port}", "example-saml": code}
        script = recipes.filled(recipes.recipe("saml-metadata"), **places)
        done = subprocess.run(["bash", "-euc", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        self.dir.chmod(0o755)
        for file in self.dir.iterdir():
            file.chmod(0o644)
        recipes.register("saml-register", **places)
        self.apache = recipes.start_apache(tmp_path, modules_recipe="saml-modules", config_recipe="saml-apache",
                                           port=self.port, host=host, platform=platform.url, backend=backend.url,
                                           **{RECIPE_DIR: str(self.dir), RECIPE_FILES: self.files})

    def stop(self):
        self.apache.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def acs(self) -> str:
        return self.url + "/secret/endpoint/postResponse"

    def key_pem(self) -> bytes:
        return (self.dir / f"{self.files}.key").read_bytes()


@pytest.fixture
def providers(platform, backend, tmp_path):  # noqa: F811
    require_apache("auth_mellon")
    require("/usr/bin/xmlsec1", "xmlsec1")
    # Two hosts, so that each provider has its own cookie (cookies do not tell ports apart).
    first = Provider(tmp_path, platform, backend, host="127.0.0.1", code="example-saml")
    second = Provider(tmp_path, platform, backend, host="localhost", code="saml-two")
    yield first, second
    first.stop()
    second.stop()


def _capture(page, provider) -> list:
    """The SAMLResponses the browser posts to the provider's ACS, as they go."""
    seen = []
    page.on("request", lambda request: seen.append(parse_qs(request.post_data or "")["SAMLResponse"][0])
            if request.url == provider.acs and request.method == "POST" else None)
    return seen


def _signed_in(page, provider) -> dict:
    try:
        page.wait_for_url(provider.url + "/secret/**")
        headers = _headers(page)
    except (ValueError, PlaywrightTimeoutError):
        raise AssertionError((page.url, page.content()[:2000], provider.apache.errors()[-3000:])) from None
    assert headers.get("mellon-nameid"), (headers, provider.apache.errors())
    return headers


def _verify_with_xmlsec1(document: bytes, id_attribute: str, cert: Path, tmp_path) -> None:
    path = tmp_path / "signed.xml"
    path.write_bytes(document)
    done = subprocess.run([shutil.which("xmlsec1"), "--verify", "--pubkey-cert-pem", str(cert),
                           "--id-attr:ID", id_attribute, str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "OK" in done.stderr + done.stdout, done.stderr


def _refused(page, provider, saml_response: str, reason: str) -> None:
    """The provider answers an error, for `reason` (its error log says so)."""
    answer = page.request.post(provider.acs, form={"SAMLResponse": saml_response,
                                                   "RelayState": provider.url + "/secret/"}, max_redirects=0)
    assert answer.status >= 400, (answer.status, answer.text()[:300])
    assert reason in provider.apache.errors(), provider.apache.errors()[-2000:]


def test_two_mellon_providers_sign_on_log_out_and_refuse_bad_responses(
        page, providers, platform, tmp_path, settings):  # noqa: F811
    first, second = providers
    factories.verified(factories.natural_account("saml_user", name="李四"))
    captured = _capture(page, first)

    # SP-initiated sign-on at the first provider.
    page.goto(first.url + "/secret/")
    _log_in(page, "saml_user")
    headers = _signed_in(page, first)
    name_id = headers["mellon-nameid"]
    assert len(name_id) == 32 and headers["mellon-name"] == "李四", headers
    assert headers["mellon-accounttype"] == "natural" and headers["mellon-realnamestatus"] == "registry_passed"

    # What travelled: only an EncryptedAssertion; decrypted with the provider's key, xmlsec1
    # verifies the response's and the assertion's signatures by the platform's certificate.
    response = etree.fromstring(base64.b64decode(captured[-1]))
    assert response.find("saml:Assertion", NS) is None and response.find("saml:EncryptedAssertion", NS) is not None
    metadata = etree.fromstring(page.request.get(platform.url + "/saml/metadata").body())
    cert = tmp_path / "idp.pem"
    body = metadata.find(".//ds:X509Certificate", NS).text.strip()
    cert.write_text("-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n")
    _verify_with_xmlsec1(etree.tostring(response), "urn:oasis:names:tc:SAML:2.0:protocol:Response", cert, tmp_path)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(first.key_pem(), xmlsec.constants.KeyDataFormatPem))
    assertion = xmlsec.EncryptionContext(manager).decrypt(
        response.find("saml:EncryptedAssertion/xenc:EncryptedData", NS))
    _verify_with_xmlsec1(etree.tostring(assertion), "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", cert,
                         tmp_path)
    confirmation = assertion.find(".//saml:SubjectConfirmationData", NS)
    assert confirmation.get("Recipient") == first.acs and confirmation.get("InResponseTo") == response.get(
        "InResponseTo")
    assert assertion.find(".//saml:Audience", NS).text == first.url + "/saml"

    # A replayed response and one with a changed character are refused.
    _refused(page, first, captured[-1], "has already been used")
    original = etree.fromstring(base64.b64decode(captured[-1]))
    original.set("IssueInstant", original.get("IssueInstant").replace("Z", ".1Z"))
    _refused(page, first, base64.b64encode(etree.tostring(original)).decode(), "Failed to verify signature")

    # The second provider: signed on at once (single sign-on), with another NameID.
    page.goto(second.url + "/secret/")
    other = _signed_in(page, second)
    assert other["mellon-nameid"] != name_id and other["mellon-name"] == "李四"
    # Made by the platform's own code: a response for the second provider's audience (encrypted
    # for the first), and one issued six minutes ago.
    settings.IDP_ISSUER = platform.url
    _refused(page, first, _made_response(first, audience=second), "Invalid Audience")
    _refused(page, first, _made_response(first, issued=timezone.now() - timedelta(minutes=6)),
             "NotOnOrAfter in SubjectConfirmationData was in the past")

    # Single logout from the first provider ends the second one's session too.
    page.goto(first.url + "/secret/endpoint/logout?ReturnTo=" + first.url + "/loggedout")
    page.wait_for_url(first.url + "/loggedout")
    page.goto(second.url + "/secret/")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()  # back at the platform's login

    # Signing on again gives the same NameID; the IdP-initiated launch lands signed in.
    _log_in(page, "saml_user")
    assert _signed_in(page, second)["mellon-nameid"] == other["mellon-nameid"]
    page.goto(platform.url + "/saml/launch/example-saml")
    page.wait_for_url(first.url + "/secret/")
    assert _signed_in(page, first)["mellon-nameid"] == name_id


def _made_response(provider, *, audience=None, issued=None) -> str:
    """A response of the platform's for the provider's ACS: for another provider's audience, or
    issued at another time."""
    from idp.accounts.models import Account
    from idp.saml import messages, signon
    from idp.saml.models import ServiceProvider

    registered = ServiceProvider.objects.get(entity_id=provider.url + "/saml")
    if audience is not None:  # the other provider's registration, encrypted for this one
        certificate = registered.encryption_certificate
        registered = ServiceProvider.objects.get(entity_id=audience.url + "/saml")
        registered.encryption_certificate = certificate
    account = Account.objects.get(login_name="saml_user")
    name_id, name_format = signon.name_id_for(registered, account, "")
    subject = messages.Subject(name_id=name_id, name_id_format=name_format, attributes={"name": "李四"},
                               session_index=messages.new_id(), auth_time=issued or timezone.now(), two_factor=False)
    document = messages.response(registered, acs_url=provider.acs, in_response_to=None, subject=subject, now=issued)
    return base64.b64encode(document).decode()
