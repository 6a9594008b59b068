// End to end over Streamable HTTP with OIDC bearer tokens signed by `jose` with real keys:
// two principals get different masking on the same statement, bad tokens are refused with
// 401 + WWW-Authenticate and recorded in the audit log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { bin, freePort, provision, readTree, sqlguard, text, writeConfig } from './helpers/env.mjs';
import { forgeToken, generateKeyFile, mintToken } from './helpers/mint-token.mjs';

const ISSUER = 'https://issuer.sqlguard.test';


describe('sqlguard over Streamable HTTP with OIDC tokens', () => {
  let db;
  let server;
  let url;
  let keys;
  let stderr = '';

  before(async () => {
    db = provision('http');
    keys = await generateKeyFile(path.join(db.dir, 'keys'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    const config = writeConfig(db, (c) => {
      c.http = { listen: '127.0.0.1', port, resource_url: url };
      c.auth = { oidc: { issuer: ISSUER, jwks_file: keys.publicPath, required_scopes: ['sql'] } };
      c.masking.rules.find((r) => r.id === 'pii-email').exempt = { groups: ['compliance'] };
      for (const d of c.masking.detectors) d.exempt = { groups: ['compliance'] };
    });
    server = spawn(bin, ['serve', '--http', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr.on('data', (d) => { stderr += d; });
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.status === 200) break;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    server?.kill('SIGTERM');
    await new Promise((r) => server?.on('close', r));
    db?.cleanup();
  });

  const token = (sub, groups, extra = {}) =>
    mintToken(keys.privatePath, { iss: ISSUER, aud: url, sub, groups, scope: 'sql', azp: 'e2e-agent', ...extra });

  async function connectAs(bearer) {
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } });
    const client = new Client({ name: 'e2e-http', version: '1.0.0' });
    await client.connect(transport);
    return { client, transport };
  }

  test('two principals, same statement: masked for one, clear for the exempt one', async () => {
    const sql = 'SELECT id, email FROM customers WHERE id = 2';
    const alice = await connectAs(await token('alice@example.com', ['analysts']));
    const carol = await connectAs(await token('carol@example.com', ['analysts', 'compliance']));
    const a = await alice.client.callTool({ name: 'run_sql', arguments: { sql } });
    const c = await carol.client.callTool({ name: 'run_sql', arguments: { sql } });
    assert.ok(!a.isError, text(a));
    assert.ok(!c.isError, text(c));
    assert.equal(a.structuredContent.columns[1].masked, true);
    assert.notEqual(a.structuredContent.rows[0][1], 'grace.hopper@example.org');
    assert.equal(c.structuredContent.columns[1].masked, false);
    assert.equal(c.structuredContent.rows[0][1], 'grace.hopper@example.org');
    await alice.transport.terminateSession();
    await alice.client.close();
    await carol.transport.terminateSession();
    await carol.client.close();
  });

  test('a principal outside every rule is refused', async () => {
    const bob = await connectAs(await token('bob@example.com', ['interns']));
    const r = await bob.client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT id FROM orders' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /default-deny/);
    await bob.client.close();
  });

  test('bad tokens get 401 with a resource_metadata challenge; missing scope gets 403', async () => {
    const claims = { iss: ISSUER, aud: url, sub: 'mallory', groups: ['analysts'], scope: 'sql' };
    const bad = {
      missing: null,
      expired: await mintToken(keys.privatePath, { ...claims, expiresIn: -3600 }),
      notYetValid: await mintToken(keys.privatePath, { ...claims, notBefore: 3600 }),
      wrongAudience: await mintToken(keys.privatePath, { ...claims, aud: 'https://elsewhere.example/mcp' }),
      wrongIssuer: await mintToken(keys.privatePath, { ...claims, iss: 'https://evil.example' }),
      tampered: await mintToken(keys.privatePath, claims, { tamper: true }),
      algNone: forgeToken('none', claims),
      hs256Confusion: await forgeToken('hs256-key-confusion', claims, { publicJwks: keys.publicPath }),
      unknownKid: await mintToken(keys.privatePath, claims, { headerKid: 'unknown-kid' }),
    };
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    for (const [name, tok] of Object.entries(bad)) {
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      if (tok) headers.authorization = `Bearer ${tok}`;
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(init) });
      assert.equal(r.status, 401, `${name}: ${r.status} ${await r.text()}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /resource_metadata=/, name);
    }
    const noScope = await token('dave', ['analysts'], { scope: 'other' });
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${noScope}` }, body: JSON.stringify(init) });
    assert.equal(r.status, 403);
    assert.match(r.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  test('RFC 9728 protected resource metadata is served without authentication', async () => {
    const r = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    assert.equal(r.status, 200);
    const doc = await r.json();
    assert.equal(doc.resource, url);
    assert.deepEqual(doc.authorization_servers, [ISSUER]);
  });

  test('the audit log names each principal and records every rejected token, and verifies', async () => {
    const audit = path.join(db.dir, 'audit');
    const records = readTree(audit).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const subjects = new Set(records.filter((r) => r.type === 'call.intent').map((r) => r.principal.subject));
    assert.ok(subjects.has('alice@example.com') && subjects.has('carol@example.com') && subjects.has('bob@example.com'));
    const rejected = records.filter((r) => r.type === 'auth.rejected');
    assert.ok(rejected.length >= 9, `rejected tokens recorded: ${rejected.length}`);
    const reasons = new Set(rejected.map((r) => r.reason));
    for (const reason of ['expired', 'wrong_audience', 'bad_signature']) assert.ok(reasons.has(reason), reason);
    const exemption = records.find((r) => r.type === 'call.outcome' && (r.masking_exemptions ?? []).length > 0);
    assert.ok(exemption, 'the exemption used by carol is recorded');
    const v = await sqlguard(['audit', 'verify', audit]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.ok(!stderr.includes(db.password));
  });
});
