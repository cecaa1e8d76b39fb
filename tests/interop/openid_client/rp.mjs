// A business system built on openid-client v6 (panva, OpenID certified), every check on.
// Usage: node rp.mjs <issuer> <client_id> <client_secret> <client_secret_basic|client_secret_post> <port>
// GET /login starts code + PKCE; GET /callback finishes it and then exercises userinfo, refresh
// rotation with reuse, introspection, revocation and client_credentials, answering with JSON.
import http from 'node:http'
import * as client from 'openid-client'

const [issuer, clientId, clientSecret, method, port] = process.argv.slice(2)
const redirectUri = `http://127.0.0.1:${port}/callback`
const auth = method === 'client_secret_post' ? client.ClientSecretPost(clientSecret) : client.ClientSecretBasic(clientSecret)
const config = await client.discovery(new URL(issuer), clientId, undefined, auth,
  { execute: [client.allowInsecureRequests] })  // the test platform is plain http on loopback
const pending = new Map()

async function error (promise) {
  try { await promise; return 'accepted' } catch (e) { return e.error || e.code || String(e) }
}

async function callback (url) {
  const checks = pending.get(url.searchParams.get('state'))
  const tokens = await client.authorizationCodeGrant(config, url, {
    pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true
  })
  const claims = tokens.claims()
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
  const rotated = refreshed.refresh_token !== tokens.refresh_token
  const activeAfterRefresh = (await client.tokenIntrospection(config, refreshed.access_token)).active
  const reuse = await error(client.refreshTokenGrant(config, tokens.refresh_token))
  const activeAfterReuse = (await client.tokenIntrospection(config, refreshed.access_token)).active
  const machine = await client.clientCredentialsGrant(config, {})
  const machineActive = (await client.tokenIntrospection(config, machine.access_token)).active
  await client.tokenRevocation(config, machine.access_token)
  const machineActiveAfterRevocation = (await client.tokenIntrospection(config, machine.access_token)).active
  return { claims, userinfo, rotated, activeAfterRefresh, reuse, activeAfterReuse, machineActive,
    machineActiveAfterRevocation }
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`)
  try {
    if (url.pathname === '/login') {
      const verifier = client.randomPKCECodeVerifier()
      const checks = { verifier, state: client.randomState(), nonce: client.randomNonce() }
      pending.set(checks.state, checks)
      const target = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid profile', state: checks.state, nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256'
      })
      res.writeHead(302, { Location: target.href }).end()
    } else if (url.pathname === '/callback') {
      const result = await callback(url)
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(result))
    } else {
      res.writeHead(404).end()
    }
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' })
      .end(JSON.stringify({ failure: String(e), cause: String(e.cause || ''), code: e.code || '' }))
  }
}).listen(Number(port), '127.0.0.1', () => console.log('ready'))
