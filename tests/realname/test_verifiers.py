"""The two verifiers: the shipped reference data set and the HTTP registry adapter."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings

from idp.identifiers.documents import validate_document
from idp.identifiers.validators import uscc
from idp.realname import verifiers
from tests import factories


@pytest.fixture
def reference():
    return verifiers.ReferenceVerifier(settings.IDP_REALNAME_REFERENCE_CSV)


def test_reference_data_is_a_few_hundred_valid_identities():
    """Every row passes the identifier checks; persons of every document type are present."""
    persons, organisations = factories.reference_rows("person"), factories.reference_rows("organisation")
    assert len(persons) >= 300 and len(organisations) >= 100
    for row in persons:
        assert validate_document(None, row["id_type"], row["id_number"]) == row["id_number"]
    for row in organisations:
        assert uscc(row["uscc"]) == row["uscc"]
    assert {row["id_type"] for row in persons} == {
        "resident_id", "hk_macau_permit", "taiwan_permit", "hmt_residence_permit",
        "foreign_permanent_residence", "passport"}


def test_reference_person(reference):
    row = factories.reference_person()
    assert reference.check_person(verifiers.PersonQuery(row["name"], "resident_id", row["id_number"])) \
        == verifiers.Result(verifiers.MATCH)
    wrong_name = reference.check_person(verifiers.PersonQuery("某某某", "resident_id", row["id_number"]))
    assert wrong_name.outcome == verifiers.MISMATCH and "姓名" in wrong_name.reason
    unknown = reference.check_person(verifiers.PersonQuery(row["name"], "resident_id",
                                                           factories.resident_id(seq="999")))
    assert unknown.outcome == verifiers.MISMATCH and "人工认证" in unknown.reason


def test_reference_organisation(reference):
    row = factories.reference_organisation()
    query = verifiers.OrganisationQuery(row["name"], row["uscc"], row["legal_representative"])
    assert reference.check_organisation(query).outcome == verifiers.MATCH
    wrong = reference.check_organisation(verifiers.OrganisationQuery("别的公司", row["uscc"],
                                                                     row["legal_representative"]))
    assert "单位名称" in wrong.reason
    wrong = reference.check_organisation(verifiers.OrganisationQuery(row["name"], row["uscc"], "某某"))
    assert "法定代表人" in wrong.reason
    assert "未查询到" in reference.check_organisation(
        verifiers.OrganisationQuery(row["name"], factories.uscc(), "某某")).reason


def test_operator_can_replace_the_csv(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text("kind,name,id_type,id_number,uscc,legal_representative\n"
                    "person,测试人,passport,E99999999,,\n", encoding="utf-8")
    verifier = verifiers.ReferenceVerifier(str(path))
    assert verifier.check_person(verifiers.PersonQuery("测试人", "passport", "E99999999")).outcome == "match"


class Registry:
    """A small HTTP registry for the tests: answers from a script of (status, body) replies."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, self.headers["Authorization"], body))
                status, reply = outer.replies.pop(0) if outer.replies else (200, {"match": True})
                payload = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/registry"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry():
    made = []

    def make(*replies):
        made.append(Registry(replies))
        return made[-1]

    yield make
    for item in made:
        item.close()


PERSON = verifiers.PersonQuery("张三", "resident_id", "11010519491231002X")


def test_http_match_and_mismatch(registry):
    server = registry((200, {"match": True}), (200, {"match": False, "reason": "姓名不符"}))
    verifier = verifiers.HttpVerifier(server.url, "secret", timeout=2, retries=0)
    assert verifier.check_person(PERSON).outcome == verifiers.MATCH
    assert verifier.check_person(PERSON) == verifiers.Result(verifiers.MISMATCH, "姓名不符")
    path, auth, body = server.requests[0]
    assert path == "/registry/person" and auth == "Bearer secret"
    assert body == {"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X"}


def test_http_organisation_payload(registry):
    server = registry((200, {"match": True}))
    verifier = verifiers.HttpVerifier(server.url, "t", timeout=2, retries=0)
    verifier.check_organisation(verifiers.OrganisationQuery("甲公司", "91110108MA01ET88XL", "李四"))
    assert server.requests[0][0] == "/registry/organisation"
    assert server.requests[0][2] == {"name": "甲公司", "uscc": "91110108MA01ET88XL",
                                     "legal_representative": "李四"}


def test_http_retries_server_errors_then_answers(registry):
    server = registry((503, {}), (502, {}), (200, {"match": True}))
    verifier = verifiers.HttpVerifier(server.url, "t", timeout=2, retries=2)
    assert verifier.check_person(PERSON).outcome == verifiers.MATCH
    assert len(server.requests) == 3


def test_http_gives_up_as_unavailable(registry):
    server = registry((500, {}), (500, {}), (500, {}))
    verifier = verifiers.HttpVerifier(server.url, "t", timeout=2, retries=2)
    assert verifier.check_person(PERSON) == verifiers.Result(verifiers.UNAVAILABLE, verifiers.TRY_LATER)


@pytest.mark.parametrize("reply", [(200, b"<html>oops</html>"), (200, {"result": "ok"}), (401, {})])
def test_http_odd_answers_are_unavailable(registry, reply):
    server = registry(reply)
    verifier = verifiers.HttpVerifier(server.url, "t", timeout=2, retries=0)
    assert verifier.check_person(PERSON).outcome == verifiers.UNAVAILABLE


def test_http_registry_down_is_unavailable():
    verifier = verifiers.HttpVerifier("http://127.0.0.1:9/registry", "t", timeout=1, retries=1)
    assert verifier.check_person(PERSON).outcome == verifiers.UNAVAILABLE


def test_http_timeout_is_unavailable():
    """A registry that accepts but never answers times out."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/registry"
        verifier = verifiers.HttpVerifier(url, "t", timeout=0.3, retries=0)
        assert verifier.check_person(PERSON).outcome == verifiers.UNAVAILABLE
    finally:
        listener.close()
