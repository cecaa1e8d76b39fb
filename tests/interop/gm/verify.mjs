// Verify a compact JWS signed "SM2" (raw r‖s, SM3, default ID 1234567812345678) with npm sm-crypto,
// against the JWK given: prints "valid" or "invalid". Usage: node verify.mjs '<jwk json>' <token>
import smCrypto from 'sm-crypto';

const [jwkJson, token] = process.argv.slice(2);
const jwk = JSON.parse(jwkJson);
const hex = (b64url) => Buffer.from(b64url, 'base64url').toString('hex').padStart(64, '0');
const publicKey = '04' + hex(jwk.x) + hex(jwk.y);
const [header, payload, signature] = token.split('.');
const ok = smCrypto.sm2.doVerifySignature(`${header}.${payload}`, hex(signature).padStart(128, '0'), publicKey,
  { hash: true, der: false, userId: '1234567812345678' });
console.log(ok ? 'valid' : 'invalid');
