"""The national (国密) algorithms: SM2 signatures, SM3 and SM4, behind one small interface so
that the software engine can be replaced by a certified device (a GM/T 0018 SDF 服务器密码机)
without touching callers. Production keys belong in such a device; this module is the
development and test engine, and says so in docs/security.md.

- SM3 (GB/T 32905) and SM4 (GB/T 32907): PyCA `cryptography`.
- SM2 (GB/T 32918): `tongsuopy` (Tongsuo, Ant Group's OpenSSL fork) signs and verifies — SM2 over
  SM3 with Z from the default user ID 1234567812345678 (GB/T 35276), as OpenSSL's
  `pkeyutl -rawin -digest sm3 -pkeyopt distid:1234567812345678` checks it.
- A short pure-Python SM2 (the curve arithmetic of GB/T 32918) only for `self_test()`: it
  reproduces the standard's signature example with its fixed k — which no engine lets us
  choose — and checks independently that the engine's signatures use the default ID.

JWS profile (CONTRACT.md): `"alg":"SM2"`, signature raw r‖s (64 bytes); the JWK is
`{"kty":"EC","crv":"SM2","x","y"(,"d")}` with 32-byte big-endian coordinates in base64url.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

DEFAULT_ID = b"1234567812345678"

# The recommended curve (GB/T 32918.5).
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
     0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def half_hash(value: str) -> str:
    """at_hash / c_hash of a token signed SM2 (OIDC Core 3.1.3.6 with the signature's hash, SM3)."""
    return _b64(sm3(value.encode())[:16])


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def sm4_ecb_block(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


# --- SM2 through the engine -------------------------------------------------------------------

@lru_cache(maxsize=1)
def _engine():
    from tongsuopy.crypto import hashes as engine_hashes
    from tongsuopy.crypto.asymciphers import ec

    return ec, ec.ECDSA(engine_hashes.SM3())


class Sm2Key:
    """An SM2 signing key of the ring (sso/keys.py): `alg`, `kid`, sign(), verify(), the JWK."""

    alg = "SM2"

    def __init__(self, private_key, *, kid: str, public_key=None):
        self.kid = kid
        self.private_key = private_key
        self.public_key = public_key or private_key.public_key()

    @classmethod
    def generate(cls, kid: str) -> "Sm2Key":
        ec, _ = _engine()
        return cls(ec.generate_private_key(ec.SM2()), kid=kid)

    @classmethod
    def import_key(cls, jwk: dict) -> "Sm2Key":
        """From `{"kty":"EC","crv":"SM2","x","y"(,"d")}`: a private key with `d`, else public only."""
        if jwk.get("kty") != "EC" or jwk.get("crv") != "SM2":
            raise ValueError("not an SM2 key")
        ec, _ = _engine()
        x, y = (int.from_bytes(_unb64(jwk[c]), "big") for c in ("x", "y"))
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SM2())
        if "d" in jwk:
            private = ec.EllipticCurvePrivateNumbers(int.from_bytes(_unb64(jwk["d"]), "big"), public).private_key()
            return cls(private, kid=jwk.get("kid", ""))
        return cls(None, kid=jwk.get("kid", ""), public_key=public.public_key())

    def as_dict(self, *, private: bool = False) -> dict:
        numbers = self.public_key.public_numbers()
        jwk = {"kty": "EC", "crv": "SM2", "x": _b64(numbers.x.to_bytes(32, "big")),
               "y": _b64(numbers.y.to_bytes(32, "big")), "kid": self.kid, "alg": "SM2", "use": "sig"}
        if private:
            jwk["d"] = _b64(self.private_key.private_numbers().private_value.to_bytes(32, "big"))
        return jwk

    def sign(self, data: bytes) -> bytes:
        """SM2 over SM3 with Z of the default ID: raw r‖s (64 bytes)."""
        _, scheme = _engine()
        r, s = decode_dss_signature(self.private_key.sign(data, scheme))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def verify(self, data: bytes, signature: bytes) -> bool:
        if len(signature) != 64:
            return False
        _, scheme = _engine()
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < N and 0 < s < N):
            return False
        try:
            self.public_key.verify(encode_dss_signature(r, s), data, scheme)
        except Exception:  # the engine's InvalidSignature (its own exception class)
            return False
        return True


# --- the reference arithmetic of the self-test -------------------------------------------------

def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def _multiply(k: int, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _z(user_id: bytes, public) -> bytes:
    coordinates = b"".join(v.to_bytes(32, "big") for v in (A, B, *G, *public))
    return sm3((len(user_id) * 8).to_bytes(2, "big") + user_id + coordinates)


def reference_sign(d: int, message: bytes, user_id: bytes, k: int) -> tuple[int, int]:
    e = int.from_bytes(sm3(_z(user_id, _multiply(d, G)) + message), "big")
    r = (e + _multiply(k, G)[0]) % N
    return r, pow(1 + d, -1, N) * (k - r * d) % N


def reference_verify(public, message: bytes, user_id: bytes, r: int, s: int) -> bool:
    if not (0 < r < N and 0 < s < N) or (r + s) % N == 0:
        return False
    e = int.from_bytes(sm3(_z(user_id, public) + message), "big")
    point = _add(_multiply(s, G), _multiply((r + s) % N, public))
    return point is not None and (e + point[0]) % N == r


# --- the known answers -------------------------------------------------------------------------

# GB/T 32918.5-2017 A.2, the signature example on the recommended curve (with the default ID).
_SM2_EXAMPLE = {
    "id": DEFAULT_ID, "message": b"message digest",
    "d": 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8,
    "x": 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020,
    "y": 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13,
    "z": "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3",
    "k": 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21,
    "r": 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3,
    "s": 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA,
}


def _sm2_standard_example() -> bool:
    v = _SM2_EXAMPLE
    public = (v["x"], v["y"])
    return (_multiply(v["d"], G) == public and _z(v["id"], public).hex() == v["z"]
            and reference_sign(v["d"], v["message"], v["id"], v["k"]) == (v["r"], v["s"])
            and reference_verify(public, v["message"], v["id"], v["r"], v["s"]))


def _sm2_engine_round_trip() -> bool:
    """The engine's signature verifies under the reference arithmetic with the default ID, and
    fails once one byte of the message changes."""
    key = Sm2Key.generate("self-test")
    message = os.urandom(64)
    signature = key.sign(message)
    numbers = key.public_key.public_numbers()
    public = (numbers.x, numbers.y)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    tampered = bytes([message[0] ^ 1]) + message[1:]
    return (key.verify(message, signature) and not key.verify(tampered, signature)
            and reference_verify(public, message, DEFAULT_ID, r, s)
            and not reference_verify(public, tampered, DEFAULT_ID, r, s))


def _ecdsa_round_trip() -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    signature = key.sign(b"self-test", ec.ECDSA(hashes.SHA256()))
    try:
        key.public_key().verify(signature, b"self-test", ec.ECDSA(hashes.SHA256()))
        key.public_key().verify(signature, b"self-tesT", ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return True  # the first passed, the second was refused
    return False


def _aes_gcm_known_answer() -> bool:
    """NIST GCM test case 13 (AES-256, zero key, zero IV, one zero block)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    sealed = AESGCM(bytes(32)).encrypt(bytes(12), bytes(16), None)
    return sealed.hex() == "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"


def _sm4_gcm_known_answer() -> bool:
    """RFC 8998 A.1 (SM4-GCM), the mode of the gm suite's envelopes (core/crypto.py)."""
    encryptor = Cipher(algorithms.SM4(bytes.fromhex("0123456789abcdeffedcba9876543210")),
                       modes.GCM(bytes.fromhex("00001234567800000000abcd"))).encryptor()
    encryptor.authenticate_additional_data(bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2"))
    sealed = encryptor.update(bytes.fromhex("aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8
                                            + "ee" * 8 + "aa" * 8)) + encryptor.finalize()
    return (sealed.hex() == "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0cc"
                            "fa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
            and encryptor.tag.hex() == "83de3541e4c2b58177e065a9bf7b62ec")


KNOWN_ANSWERS = [
    ("SM3 (GB/T 32905 A.1: abc)",
     lambda: sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    ("SM3 (GB/T 32905 A.2: 512 bits)",
     lambda: sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ("SM4 (GB/T 32907 A.1)",
     lambda: sm4_ecb_block(bytes.fromhex("0123456789abcdeffedcba9876543210"),
                           bytes.fromhex("0123456789abcdeffedcba9876543210")).hex()
     == "681edf34d206965e86b3e94f536e4246"),
    ("SM4-GCM (RFC 8998 A.1)", _sm4_gcm_known_answer),
    ("SM2 signature (GB/T 32918.5 A.2)", _sm2_standard_example),
    ("SM2 engine, default ID 1234567812345678", _sm2_engine_round_trip),
    ("SHA-256 (FIPS 180-4: abc)",
     lambda: hashlib.sha256(b"abc").hexdigest()
     == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ("HMAC-SHA256 (RFC 4231 case 2)",
     lambda: hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
     == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    ("AES-256-GCM (NIST GCM case 13)", _aes_gcm_known_answer),
    ("ECDSA P-256 round trip", _ecdsa_round_trip),
]


def self_test() -> list[tuple[str, bool]]:
    """Each known answer and whether it held (an exception counts as a failure)."""
    results = []
    for name, check in KNOWN_ANSWERS:
        try:
            results.append((name, bool(check())))
        except Exception:
            results.append((name, False))
    return results
