// The upstream identity provider of the federation tests: panva's oidc-provider (OpenID certified)
// standing for the national government service platform. Started by tests/federation/upstream.py
// with one argument, a JSON file: {port, issuer, key (a private JWK), clients, accounts}; each
// account's claims are what the upstream asserts about that person (identity number, USCC, …).
// Its own pages (devInteractions) sign in any account id given; the consent page follows.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const provider = new Provider(config.issuer, {
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
