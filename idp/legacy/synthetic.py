"""Synthetic legacy data for tests and benchmarks: legacy CSV files plus a platform state
that produces every case in chosen proportions, with each row's expected case alongside.

For each kind, a share `conflicts` of the rows falls in each of R2, R3, R4 and the `HJ_`
collision error; the rest are R1. All legacy rows share the password LEGACY_PASSWORD, its
hash format cycling through the five formats of CONTRACT.md.
"""

import csv
import hashlib
import os
from dataclasses import dataclass
from datetime import date, timedelta

import bcrypt
from django.contrib.auth.hashers import make_password
from django.db import transaction

from idp.accounts.models import OWN_DOCUMENT, Account, NaturalPerson, Organisation, RealNameStatus, set_document
from idp.identifiers.validators import mod11_2_check_char, organisation_code_check_char, uscc_check_char

LEGACY_PASSWORD = "Legacy@2020"
PLATFORM_PASSWORD = "Platform@2026"
CASES = ("R2", "R3", "R4", "ERROR")


def uscc_for(i: int) -> str:
    body = f"{i:08d}"
    first17 = "91" + "310115" + body + organisation_code_check_char(body)
    return first17 + uscc_check_char(first17)


def mobile_for(i: int) -> str:
    return f"13{i:09d}"


def resident_id_for(i: int) -> str:
    """A valid resident ID, distinct for every i below 18,000,000 (birth day × sequence)."""
    born = date(1970, 1, 1) + timedelta(days=i % 18000)
    first17 = f"110105{born:%Y%m%d}{(i // 18000) % 1000:03d}"
    return first17 + mod11_2_check_char(first17)


def legacy_hashes(password: str = LEGACY_PASSWORD) -> list[str]:
    """The same password in each of the five legacy formats (bcrypt with a low cost)."""
    salt = "s4lt"
    return [
        "unsalted_md5$" + hashlib.md5(password.encode()).hexdigest().upper(),
        f"md5${salt}$" + hashlib.md5((salt + password).encode()).hexdigest(),
        f"sha256${salt}$" + hashlib.sha256((salt + password).encode()).hexdigest(),
        "bcrypt$" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$", 1),
        make_password(password, salt="legacysalt", hasher="pbkdf2_sha256"),
    ]


def case_of(i: int, n: int, conflicts: float) -> str:
    """Which case row i of n falls in: the first shares are the conflicts, the rest R1."""
    per = int(n * conflicts)
    index = i // per if per else len(CASES)
    return CASES[index] if index < len(CASES) else "R1"


@dataclass
class Generated:
    enterprises: str
    persons: str
    expected: str


class _Writer:
    """Bulk-creates platform accounts (and their profiles) in chunks."""

    def __init__(self, chunk: int = 5000):
        self.chunk, self.accounts, self.profiles = chunk, [], []
        self.password = make_password(PLATFORM_PASSWORD)  # one argon2 hash for all of them

    def add(self, login_name, kind, phone="", uscc=None, verified=False, id_number=None):
        account = Account(login_name=login_name, kind=kind, phone=phone, password=self.password,
                          realname_status=RealNameStatus.REGISTRY_PASSED if verified else RealNameStatus.UNVERIFIED)
        self.accounts.append((account, uscc, id_number))
        if len(self.accounts) >= self.chunk:
            self.flush()

    def flush(self):
        if not self.accounts:
            return
        with transaction.atomic():
            created = Account.objects.bulk_create([a for a, _, _ in self.accounts])
            people, orgs = [], []
            for account, (_, uscc, id_number) in zip(created, self.accounts, strict=True):
                if account.kind == "legal":
                    orgs.append(Organisation(account=account, name=f"单位{account.login_name}", uscc=uscc,
                                             region_type="domestic", legal_type="enterprise", lr_name="法定代表人",
                                             agent_name="主代办人"))
                else:
                    person = NaturalPerson(account=account, name="平台用户")
                    if id_number:
                        set_document(person, OWN_DOCUMENT, identity_type="mainland", id_type="resident_id",
                                     id_number=id_number)
                        if account.realname_status == RealNameStatus.REGISTRY_PASSED:
                            person.verified_id_index = person.id_index
                    people.append(person)
            NaturalPerson.objects.bulk_create(people)
            Organisation.objects.bulk_create(orgs)
        self.accounts = []


def generate(*, out_dir: str, enterprises: int, persons: int, platform: int = 0, conflicts: float = 0.05,
             offset: int = 0) -> Generated:
    """Write E.csv, P.csv and expected.csv under out_dir and create the matching platform
    state; `platform` pads the platform with unrelated accounts up to that many."""
    os.makedirs(out_dir, exist_ok=True)
    hashes = legacy_hashes()
    paths = Generated(*(os.path.join(out_dir, name) for name in ("enterprises.csv", "persons.csv", "expected.csv")))
    writer = _Writer()
    made = 0
    with open(paths.enterprises, "w", newline="", encoding="utf-8") as e_file, \
            open(paths.persons, "w", newline="", encoding="utf-8") as p_file, \
            open(paths.expected, "w", newline="", encoding="utf-8") as x_file:
        e_csv, p_csv, x_csv = csv.writer(e_file), csv.writer(p_file), csv.writer(x_file)
        e_csv.writerow(["legacy_id", "uscc", "password_hash", "org_name", "contact_name", "contact_mobile", "email",
                        "registered_at"])
        p_csv.writerow(["legacy_id", "mobile", "password_hash", "name", "id_type", "id_number", "email",
                        "registered_at"])
        x_csv.writerow(["kind", "legacy_id", "case", "login_name", "hash_format"])
        for i in range(enterprises):
            n = offset + i
            u, case = uscc_for(n), case_of(i, enterprises, conflicts)
            if case == "R2":
                writer.add(u, "legal", uscc=u)
            elif case == "R3":
                writer.add(u, "natural")
            elif case == "R4":
                writer.add(f"org_{n}", "legal", uscc=u)
            elif case == "ERROR":
                writer.add(u, "natural")
                writer.add(f"HJ_{u}", "natural")
            made += 2 if case == "ERROR" else 0 if case == "R1" else 1
            login = {"R1": u, "R2": u, "R3": f"HJ_{u}", "R4": u, "ERROR": ""}[case]
            e_csv.writerow([f"E{n}", u, hashes[i % 5], f"转移企业{n}", f"联系人{n}", mobile_for(500_000_000 + n),
                            f"e{n}@example.cn", "2019-05-01T08:00:00"])
            x_csv.writerow(["enterprise", f"E{n}", case, login, i % 5])
        for i in range(persons):
            n = offset + i
            p, case = mobile_for(n), case_of(i, persons, conflicts)
            if case == "R2":
                writer.add(p, "natural", phone=p)
            elif case == "R3":
                writer.add(p, "natural", phone=mobile_for(700_000_000 + n))
            elif case == "R4":
                writer.add(f"owner_{n}", "natural", phone=p, verified=True, id_number=resident_id_for(n))
            elif case == "ERROR":
                writer.add(p, "natural", phone=mobile_for(700_000_000 + n))
                writer.add(f"HJ_{p}", "natural")
            made += 2 if case == "ERROR" else 0 if case == "R1" else 1
            login = {"R1": p, "R2": p, "R3": f"HJ_{p}", "R4": "", "ERROR": ""}[case]
            p_csv.writerow([f"P{n}", p, hashes[i % 5], f"转移用户{n}", "resident_id", resident_id_for(n),
                            f"p{n}@example.cn", "2018-03-01T09:30:00"])
            x_csv.writerow(["person", f"P{n}", case, login, i % 5])
    for j in range(max(0, platform - made)):
        writer.add(f"filler_{offset}_{j}", "natural", phone=mobile_for(900_000_000 + j))
    writer.flush()
    return paths
