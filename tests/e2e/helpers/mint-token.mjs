// Mints signed JWT access tokens for sqlguard's HTTP e2e tests with the `jose` npm package
// (needs "jose": "^5" in tests/e2e/package.json).
//
// Keys live in a private JWK Set file (generated once per test run with generateKeyFile()); the
// server is configured with the public half (auth.oidc.jwks_file: <publicPath>) or serves it
// from a loopback jwks_uri. Tokens can be minted valid, expired, not yet valid, for the wrong
// audience or issuer, tampered, `alg: none`, HS256 key confusion, or with an unknown kid.
//
//   import { generateKeyFile, mintToken, forgeToken } from './helpers/mint-token.mjs';
//   const keys = await generateKeyFile(dir);             // {privatePath, publicPath, kids}
//   const tok = await mintToken(keys.privatePath, { iss, aud, sub: 'alice', scope: 'sql:read' });
//   const bad = await mintToken(keys.privatePath, { iss, aud, sub: 'a', expiresIn: -3600 });
//   const none = forgeToken('none', { iss, aud, sub: 'a' });
//   const hs = await forgeToken('hs256-key-confusion', claims, { publicJwks: keys.publicPath });
//
// CLI (for manual testing against a running server):
//   node mint-token.mjs keygen <dir>
//   node mint-token.mjs mint <private-jwks.json> '{"iss":"...","aud":"...","sub":"alice"}' [kid]

import { createHmac, createPublicKey } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

const b64url = (data) => Buffer.from(data).toString('base64url');

/** Generates RS256, ES256 and EdDSA key pairs; writes private and public JWK Sets into `dir`. */
export async function generateKeyFile(dir, { prefix = 'test' } = {}) {
  await mkdir(dir, { recursive: true });
  const specs = [
    { alg: 'RS256', opts: { modulusLength: 2048, extractable: true } },
    { alg: 'ES256', opts: { extractable: true } },
    { alg: 'EdDSA', opts: { crv: 'Ed25519', extractable: true } },
  ];
  const privateKeys = [];
  const publicKeys = [];
  for (const { alg, opts } of specs) {
    const { publicKey, privateKey } = await generateKeyPair(alg, opts);
    const kid = `${prefix}-${alg.toLowerCase()}-${Date.now().toString(36)}`;
    privateKeys.push({ ...(await exportJWK(privateKey)), kid, alg, use: 'sig' });
    publicKeys.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
  }
  const privatePath = path.join(dir, `${prefix}-private.jwks.json`);
  const publicPath = path.join(dir, `${prefix}-public.jwks.json`);
  await writeFile(privatePath, JSON.stringify({ keys: privateKeys }, null, 2), { mode: 0o600 });
  await writeFile(publicPath, JSON.stringify({ keys: publicKeys }, null, 2));
  return { privatePath, publicPath, kids: privateKeys.map((k) => k.kid) };
}

async function loadJwks(file) {
  return JSON.parse(await readFile(file, 'utf8'));
}

/**
 * Signs a JWT with a key of the private JWK Set at `privateJwksPath`.
 * claims: any JWT claims; plus options
 *   alg        pick the key by algorithm (default: the first key's)
 *   kid        pick the key by kid; `headerKid` overrides the kid written in the header
 *              (e.g. 'unknown-kid' to test unknown kids)
 *   typ        header typ (default 'at+jwt'; pass null to omit)
 *   expiresIn  seconds from now for exp (default 300; negative → expired)
 *   notBefore  seconds from now for nbf (default none; positive → not yet valid)
 *   issuedAt   seconds from now for iat (default 0)
 *   tamper     true → change the payload after signing (signature no longer matches)
 */
export async function mintToken(privateJwksPath, claims = {}, options = {}) {
  const {
    alg, kid, headerKid, typ = 'at+jwt', expiresIn = 300, notBefore, issuedAt = 0, tamper = false,
    ...rest
  } = { ...claims, ...options };
  const jwks = await loadJwks(privateJwksPath);
  const jwk = jwks.keys.find((k) => (kid ? k.kid === kid : alg ? k.alg === alg : true));
  if (!jwk) throw new Error(`no key with ${kid ? `kid ${kid}` : `alg ${alg}`} in ${privateJwksPath}`);
  const key = await importJWK(jwk, jwk.alg);
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: jwk.alg, kid: headerKid ?? jwk.kid };
  if (typ !== null) header.typ = typ;
  const payload = { ...rest, iat: now + issuedAt, exp: now + expiresIn };
  if (notBefore !== undefined) payload.nbf = now + notBefore;
  const token = await new SignJWT(payload).setProtectedHeader(header).sign(key);
  if (!tamper) return token;
  const [h, p, s] = token.split('.');
  const body = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  body.sub = `${body.sub ?? ''}-tampered`;
  return `${h}.${b64url(JSON.stringify(body))}.${s}`;
}

/**
 * Tokens no honest signer would produce.
 *   'none'                 header {alg: 'none'}, empty signature
 *   'hs256-key-confusion'  HS256 with the first public key's PEM as the HMAC secret
 *                          (options.publicJwks: path of the public JWK Set)
 */
export async function forgeToken(kind, claims = {}, options = {}) {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iat: now, exp: now + 300, ...claims };
  if (kind === 'none') {
    return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.`;
  }
  if (kind === 'hs256-key-confusion') {
    const jwks = await loadJwks(options.publicJwks);
    const pub = jwks.keys.find((k) => k.kty === 'RSA') ?? jwks.keys[0];
    const pem = createPublicKey({ key: pub, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: pub.kid }))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
  }
  throw new Error(`unknown forgery ${kind}`);
}

// CLI
if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, a, b, c] = process.argv.slice(2);
  if (cmd === 'keygen' && a) {
    console.log(JSON.stringify(await generateKeyFile(a), null, 2));
  } else if (cmd === 'mint' && a && b) {
    console.log(await mintToken(a, JSON.parse(b), c ? { kid: c } : {}));
  } else {
    console.error('usage: mint-token.mjs keygen <dir> | mint <private-jwks.json> <claims-json> [kid]');
    process.exit(2);
  }
}
