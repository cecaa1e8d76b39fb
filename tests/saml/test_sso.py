"""SAML single sign-on through HTTP with the tests' own service provider (tests/saml/sp.py):
the AuthnRequest in both bindings, the Response and its assertion as the provider reads them,
and every refusal."""

import base64

import pytest
import xmlsec
from lxml import etree

from idp.saml.xml import NAMEID_PERSISTENT, NAMEID_TRANSIENT
from idp.sso import clients
from idp.sso.models import Participant
from tests.saml import sp as sp_module
from tests.saml.conftest import sso_url

pytestmark = pytest.mark.django_db
NS = sp_module.NS


def _start(client, sp, **options):
    request_id, document = sp.authn_request(destination=sso_url(), **options)
    response = client.get("/saml/sso?" + sp.redirect_query("SAMLRequest", document, "state-1"))
    return request_id, response


def _respond(client, sp, **options):
    """Follow the platform until it posts a SAMLResponse; the response as the SP reads it."""
    request_id, response = _start(client, sp, **options)
    assert response.status_code == 302, response.content[:400]
    page = client.get(response["Location"])
    assert page.status_code == 200, page.content[:400]
    action, fields = sp_module.form_fields(page.content)
    return request_id, action, fields, etree.fromstring(base64.b64decode(fields["SAMLResponse"]))


def _assertion(sp, root, idp_cert):
    sp_module.verify_signature(root, idp_cert)
    sp.decrypt(root)
    assertion = root.find("saml:Assertion", NS)
    sp_module.verify_signature(assertion, idp_cert)
    return assertion


def _attributes(assertion) -> dict:
    return {a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", NS)]
            for a in assertion.findall("saml:AttributeStatement/saml:Attribute", NS)}


def test_metadata_publishes_the_signing_certificate_and_both_bindings(client, db):
    response = client.get("/saml/metadata")
    assert response["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(response.content)
    descriptor = root.find("md:IDPSSODescriptor", NS)
    bindings = {e.get("Binding") for e in descriptor.findall("md:SingleSignOnService", NS)}
    assert bindings == {sp_module.REDIRECT, sp_module.POST}
    assert descriptor.find("md:KeyDescriptor[@use='signing']//ds:X509Certificate", NS) is not None
    assert root.get("entityID").endswith("/saml/metadata")


def test_a_signed_in_person_is_answered_with_an_encrypted_signed_assertion(client, sp, person, idp_cert):
    request_id, action, fields, root = _respond(client, sp)
    assert action == sp.acs and fields["RelayState"] == "state-1"
    assert root.get("InResponseTo") == request_id and root.get("Destination") == sp.acs
    assert root.find("saml:Assertion", NS) is None, "the assertion travels only encrypted"
    assert root.find("saml:EncryptedAssertion/xenc:EncryptedData/xenc:EncryptionMethod", NS).get(
        "Algorithm") == "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    assertion = _assertion(sp, root, idp_cert)
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    assert confirmation.get("Recipient") == sp.acs and confirmation.get("InResponseTo") == request_id
    assert assertion.find("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS).text == sp.entity_id
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id.get("Format") == NAMEID_PERSISTENT and len(name_id.text) == 32
    attributes = _attributes(assertion)
    assert attributes["name"] == ["王五"] and attributes["accountType"] == ["natural"]
    assert "account_type" not in attributes, "camelCase names only"
    friendly = {a.get("Name"): a.get("FriendlyName") for a in assertion.iter(f"{{{sp_module.SAML}}}Attribute")}
    assert friendly["name"] and friendly["realnameStatus"]
    assert assertion.find(".//saml:AuthnContextClassRef", NS).text.endswith("PasswordProtectedTransport")
    part = Participant.objects.get(client__system__code="archive")
    assert part.subject == name_id.text and part.service == sp.acs
    assert part.ticket == assertion.find("saml:AuthnStatement", NS).get("SessionIndex")


def test_the_persistent_name_id_is_stable_per_provider_and_differs_between_providers(client, sp, person, idp_cert):
    other = sp_module.ServiceProvider(entity_id="https://oa.test/saml", base="https://oa.test", encrypt=False)
    clients.register(name="办公系统", code="oa", protocol="saml", protocol_options={"metadata": other.metadata()},
                     requires_realname=False)

    def name_id(provider):
        _, _, _, root = _respond(client, provider)
        return _assertion(provider, root, idp_cert).find("saml:Subject/saml:NameID", NS).text

    first = name_id(sp)
    assert name_id(sp) == first
    assert name_id(other) != first
    assert first != person.login_name and int(first, 16) != person.pk


def test_a_transient_name_id_is_new_each_time(client, sp, person, idp_cert):
    seen = set()
    for _ in range(2):
        _, _, _, root = _respond(client, sp, name_id_format=NAMEID_TRANSIENT)
        name_id = _assertion(sp, root, idp_cert).find("saml:Subject/saml:NameID", NS)
        assert name_id.get("Format") == NAMEID_TRANSIENT
        seen.add(name_id.text)
    assert len(seen) == 2


def test_an_anonymous_browser_is_sent_to_log_in_and_comes_back(client, sp):
    _, response = _start(client, sp)
    continue_url = response["Location"]
    login = client.get(continue_url)
    assert login.status_code == 302 and login["Location"].startswith("/login/")
    assert "next=" in login["Location"]


def test_is_passive_without_a_login_answers_no_passive(client, sp, idp_cert):
    _, response = _start(client, sp, passive=True)
    page = client.get(response["Location"])
    _, fields = sp_module.form_fields(page.content)
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    sp_module.verify_signature(root, idp_cert)
    codes = [c.get("Value") for c in root.iter(f"{{{sp_module.SAMLP}}}StatusCode")]
    assert codes[-1].endswith(":NoPassive") and root.find("saml:EncryptedAssertion", NS) is None


def test_force_authn_asks_for_the_password_again(client, sp, person):
    _, response = _start(client, sp, force=True)
    assert client.get(response["Location"])["Location"].startswith("/login/")


def test_the_post_binding_carries_a_signed_request(client, sp, person):
    _, document = sp.authn_request(destination=sso_url())
    response = client.post("/saml/sso", {"SAMLRequest": sp.signed_post(document), "RelayState": "r"})
    assert response.status_code == 302 and "/saml/sso/continue/" in response["Location"]


@pytest.mark.parametrize("case", ["unsigned", "tampered", "unregistered_acs", "unknown_sp", "stale",
                                  "wrong_destination", "not_base64", "dtd"])
def test_requests_that_cannot_be_trusted_get_an_error_page_and_no_answer(client, sp, person, case):
    options = {"acs": "https://evil.test/acs"} if case == "unregistered_acs" else {}
    if case == "stale":
        options["issued_offset"] = -3600
    _, document = sp.authn_request(destination=sso_url() + ("x" if case == "wrong_destination" else ""), **options)
    if case == "unknown_sp":
        document = document.replace(sp.entity_id.encode(), b"https://stranger.test")
    if case == "dtd":
        document = b'<!DOCTYPE x [<!ENTITY a "b">]>' + document
    query = sp.redirect_query("SAMLRequest", document, sign=case != "unsigned")
    if case == "tampered":
        query = sp.redirect_query("SAMLRequest", document).replace("SAMLRequest=", "SAMLRequest=A", 1)
    if case == "not_base64":
        query = "SAMLRequest=%%%"
    response = client.get("/saml/sso?" + query)
    assert response.status_code == 400
    assert b"SAMLResponse" not in response.content and b"evil.test" not in response.content


def test_an_unregistered_acs_by_post_is_refused_too(client, sp, person):
    _, document = sp.authn_request(destination=sso_url(), acs="https://evil.test/acs")
    response = client.post("/saml/sso", {"SAMLRequest": sp.signed_post(document)})
    assert response.status_code == 400


def test_an_assertion_signed_by_another_key_does_not_verify(client, sp, person, idp_cert):
    _, _, _, root = _respond(client, sp)
    stranger = sp_module.ServiceProvider()
    with pytest.raises(xmlsec.Error):
        sp_module.verify_signature(root, stranger.cert_pem)


def test_idp_initiated_launch_posts_an_unsolicited_response_with_the_registered_relay_state(
        client, sp, person, idp_cert):
    clients.register(name="档案管理", code="archive", protocol="saml",
                     protocol_options={"relay_state": "/welcome"})
    response = client.get("/saml/launch/archive")
    page = client.get(response["Location"])
    action, fields = sp_module.form_fields(page.content)
    assert action == sp.acs and fields["RelayState"] == "/welcome"
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    assert root.get("InResponseTo") is None
    assertion = _assertion(sp, root, idp_cert)
    assert assertion.find(".//saml:SubjectConfirmationData", NS).get("InResponseTo") is None


def test_a_launch_of_an_unknown_code_is_not_found(client, db):
    assert client.get("/saml/launch/nothing").status_code == 404


def test_an_operator_registers_a_provider_in_the_admin_from_its_metadata(client, db):
    from idp.saml.models import ServiceProvider
    from tests import factories

    operator = factories.natural_account("operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    factories.sign_in(client, operator)
    registered = clients.register(name="会议系统", code="meeting", protocol="saml",
                                  protocol_options={"metadata": sp_module.ServiceProvider(
                                      entity_id="https://old.test/saml", base="https://old.test").metadata()})
    provider = sp_module.ServiceProvider(entity_id="https://meeting.test/saml", base="https://meeting.test")
    existing = ServiceProvider.objects.get(client=registered.client)
    form = {"client": registered.client.pk, "metadata": provider.metadata().decode(), "sign": "assertion",
            "encryption": "aes128-cbc", "default_relay_state": "/start"}
    refused = client.post(f"/admin/saml/serviceprovider/{existing.pk}/change/", {**form, "metadata": "<x/>"})
    assert refused.status_code == 200 and "metadata" in refused.context["adminform"].form.errors
    response = client.post(f"/admin/saml/serviceprovider/{existing.pk}/change/", form)
    assert response.status_code == 302, response.content[:500]
    existing.refresh_from_db()
    assert existing.entity_id == provider.entity_id and existing.acs[0]["location"] == provider.acs
    assert (existing.sign_response, existing.sign_assertion, existing.encryption) == (False, True, "aes128-cbc")


@pytest.mark.parametrize("sign,encryption", [("response", "aes128-cbc"), ("assertion", "aes256-gcm")])
def test_the_provider_chooses_what_is_signed_and_how_the_assertion_is_encrypted(client, sp, person, idp_cert,
                                                                                 sign, encryption):
    clients.register(name="档案管理", code="archive", protocol="saml",
                     protocol_options={"sign": sign, "encryption": encryption})
    _, _, _, root = _respond(client, sp)
    method = root.find("saml:EncryptedAssertion/xenc:EncryptedData/xenc:EncryptionMethod", NS).get("Algorithm")
    assert method.endswith("aes128-cbc" if encryption == "aes128-cbc" else "aes256-gcm")
    assert (root.find("ds:Signature", NS) is not None) == (sign == "response")
    if sign == "response":
        sp_module.verify_signature(root, idp_cert)
    assertion = sp.decrypt(root).find("saml:Assertion", NS)
    assert (assertion.find("ds:Signature", NS) is not None) == (sign == "assertion")
    if sign == "assertion":
        sp_module.verify_signature(assertion, idp_cert)


def test_the_entry_rule_and_acting_for_an_organisation_apply_as_for_oidc_and_cas(client, db, idp_cert):
    from idp.catalogue.models import BusinessSystem
    from idp.delegation.services import create_grants
    from tests import factories

    provider = sp_module.ServiceProvider(entity_id="https://gov.test/saml", base="https://gov.test")
    clients.register(name="企业申报", code="declare", protocol="saml", delegable=True,
                     protocol_options={"metadata": provider.metadata()})
    person = factories.natural_account(name="张三")
    client.force_login(person)
    _, response = _start(client, provider)
    assert client.get(response["Location"])["Location"] == "/online/profile/", "verify first"

    factories.verified(person)
    org = factories.verified(factories.legal_account(name="示例科技有限公司"))
    create_grants(organisation=org, person=person, systems=[BusinessSystem.objects.get(code="declare")],
                  expires_on=None, actor=org)
    _, response = _start(client, provider)
    chooser = client.get(response["Location"])
    assert chooser.status_code == 200 and "示例科技有限公司" in chooser.content.decode()
    page = client.post(response["Location"], {"acting_for": str(org.pk)})
    _, fields = sp_module.form_fields(page.content)
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    attributes = _attributes(_assertion(provider, root, idp_cert))
    assert attributes["orgName"] == ["示例科技有限公司"] and attributes["accountType"] == ["legal"]
    assert attributes["actName"] == ["张三"] and attributes["uscc"][0]
    part = Participant.objects.get(client__system__code="declare")
    assert part.acting_for_id == org.pk


def test_a_third_party_provider_asks_for_consent_and_a_refusal_is_answered_request_denied(client, sp, person,
                                                                                          idp_cert):
    clients.register(name="档案管理", code="archive", protocol="saml", first_party=False)
    _, response = _start(client, sp)
    consent = client.get(response["Location"])
    assert consent.status_code == 200 and b'name="consent"' in consent.content
    page = client.post(response["Location"], {"consent": "deny", "acting_for": "self"})
    _, fields = sp_module.form_fields(page.content)
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    codes = [c.get("Value") for c in root.iter(f"{{{sp_module.SAMLP}}}StatusCode")]
    assert codes[-1].endswith(":RequestDenied") and root.find("saml:EncryptedAssertion", NS) is None
    assert not Participant.objects.exists()
    _, response = _start(client, sp)
    allowed = client.post(response["Location"], {"consent": "allow", "acting_for": "self"})
    _, fields = sp_module.form_fields(allowed.content)
    assert etree.fromstring(base64.b64decode(fields["SAMLResponse"])).find("saml:EncryptedAssertion", NS) is not None


def test_a_relay_state_beyond_a_kilobyte_is_refused(client, sp, person):
    _, document = sp.authn_request(destination=sso_url())
    assert client.get("/saml/sso?" + sp.redirect_query("SAMLRequest", document, "r" * 1025)).status_code == 400


def test_a_rotation_publishes_the_next_certificate_in_the_metadata_before_it_signs(client, sp, person, idp_cert):
    from idp.sso import keys

    keys.ensure_keys()
    keys.rotate(lead_seconds=600)
    certificates = etree.fromstring(client.get("/saml/metadata").content).findall(
        ".//md:KeyDescriptor[@use='signing']//ds:X509Certificate", NS)
    assert len(certificates) == 2, "the next key's certificate is published beside the current one"
    _, _, _, root = _respond(client, sp)
    sp_module.verify_signature(root, idp_cert)  # still signed by the current key until the lead has passed


def test_a_sign_on_the_session_no_longer_holds_gets_a_page_saying_so(client, sp, person):
    response = client.get("/saml/sso/continue/unknown-key")
    assert response.status_code == 400 and "登录请求已过期" in response.content.decode()


@pytest.mark.parametrize(("content", "message"), [(b"<not-metadata/>", "元数据无法读取"),
                                                  (None, "--metadata")])
def test_the_registration_command_names_what_is_wrong_with_the_metadata(tmp_path, db, content, message):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "sp.xml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("register_business_system", "--name", "坏元数据", "--protocol", "saml", "--metadata", str(path))
    assert message in str(raised.value)
    from idp.catalogue.models import BusinessSystem
    assert not BusinessSystem.objects.filter(name="坏元数据").exists(), "nothing half registered"


def test_a_login_through_an_upstream_provider_names_it_as_the_authenticating_authority(client, sp, person, idp_cert):
    session = client.session
    session["login_authority"] = "https://national.example"  # as federation.signon.on_login leaves it
    session.save()
    _, _, _, root = _respond(client, sp)
    context = _assertion(sp, root, idp_cert).find("saml:AuthnStatement/saml:AuthnContext", NS)
    assert context.find("saml:AuthnContextClassRef", NS).text.endswith(":unspecified")
    assert context.find("saml:AuthenticatingAuthority", NS).text == "https://national.example"
