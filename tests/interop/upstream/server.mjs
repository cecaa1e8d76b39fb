// The upstream identity provider of the federation tests: panva's oidc-provider (OpenID certified)
// standing for the national government service platform. Started by tests/federation/upstream.py
// with one argument, a JSON file: {port, issuer, key (a private JWK), clients, accounts}; each
// account's claims are what the upstream asserts about that person (identity number, USCC, …).
// Its own pages (devInteractions) sign in any account id given; the consent page follows.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// With {"keep_all": true} (make bench, which prepares a thousand sign-ins before measuring them),
// a store that forgets nothing before it expires: the quick-start store keeps only the last
// thousand-odd entries, and a sign-in leaves five.
const entries = new Map();
const members = new Map(); // grantId → the keys issued under it
class KeepAllAdapter {
  constructor(model) { this.model = model; }
  key(id) { return `${this.model}:${id}`; }
  async upsert(id, payload, expiresIn) {
    const expires = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    entries.set(this.key(id), { payload, expires });
    if (payload.grantId) members.set(payload.grantId, (members.get(payload.grantId) || new Set()).add(this.key(id)));
    if (payload.uid) entries.set(`uid:${payload.uid}`, { payload: id, expires });
    if (payload.userCode) entries.set(`userCode:${payload.userCode}`, { payload: id, expires });
  }
  async find(id) { return this.live(this.key(id)); }
  async findByUid(uid) { const id = this.live(`uid:${uid}`); return id && this.find(id); }
  async findByUserCode(code) { const id = this.live(`userCode:${code}`); return id && this.find(id); }
  async consume(id) { const found = this.live(this.key(id)); if (found) found.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { entries.delete(this.key(id)); }
  async revokeByGrantId(grantId) {
    for (const key of members.get(grantId) || []) entries.delete(key);
    members.delete(grantId);
  }
  live(key) {
    const entry = entries.get(key);
    if (entry && entry.expires > Date.now()) return entry.payload;
    entries.delete(key);
    return undefined;
  }
}

const provider = new Provider(config.issuer, {
  ...(config.keep_all ? { adapter: KeepAllAdapter } : {}),
  jwks: { keys: [config.key] },
  cookies: { keys: ['federation-upstream-cookie-key-0123456789'] },
  clients: config.clients,
  scopes: ['openid', 'profile', 'phone', 'identity'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    phone: ['phone_number'],
    identity: ['id_number', 'id_type', 'id_verified', 'uscc'],
  },
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // Its guard against calls to special-use addresses is lifted: here every party is on loopback
  // (the back-channel logout goes to the platform at 127.0.0.1).
  fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined }),
  async findAccount(ctx, id) {
    const claims = config.accounts[id] || {};
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.on('backchannel.error', (ctx, err, client) => console.error(`backchannel logout to ${client.clientId}: ${err} ${err.cause || ""}`));
provider.on('server_error', (ctx, err) => console.error(`server error: ${err}`));
provider.listen(config.port, '127.0.0.1', () => {
  console.log('ready');
});
