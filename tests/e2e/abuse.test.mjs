// Protocol abuse, end to end, against the built binary: raw bytes over stdio and raw fetch()
// over Streamable HTTP. Every piece of garbage gets a clear JSON-RPC error (stdio) or HTTP status
// (HTTP); the server keeps answering ping afterwards; and the audit log holds records only for
// what really happened (sessions and the tool calls that passed argument validation), never for
// rejected garbage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { bin, freePort, provision, readTree, sqlguard, writeConfig } from './helpers/env.mjs';

const INIT = (id = 1, version = '2025-11-25') => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'abuse', version: '1' } },
});

function auditRecords(dir) {
  return readTree(path.join(dir, 'audit')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

/** A raw stdio session: write bytes, wait for the response with a given id. */
function rawStdio(config) {
  const p = spawn(bin, ['serve', '--stdio', '--config', config], { stdio: ['pipe', 'pipe', 'pipe'] });
  let buf = '';
  const messages = [];
  const waiters = [];
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  p.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const m = JSON.parse(line); // every stdout line must be JSON
      messages.push(m);
      for (const w of [...waiters]) if (w.match(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    }
  });
  const wait = (match, what) => new Promise((resolve, reject) => {
    const found = messages.find(match);
    if (found) { messages.splice(messages.indexOf(found), 1); return resolve(found); }
    const t = setTimeout(() => reject(new Error(`no answer for ${what}; stderr: ${stderr.slice(-2000)}`)), 30000);
    waiters.push({ match: (m) => { if (!match(m)) return false; messages.splice(messages.indexOf(m), 1); return true; },
      resolve: (m) => { clearTimeout(t); resolve(m); } });
  });
  return {
    proc: p,
    stderr: () => stderr,
    write(data) { return new Promise((r) => (p.stdin.write(data) ? r() : p.stdin.once('drain', r))); },
    async request(msg) { await this.write(JSON.stringify(msg) + '\n'); return wait((m) => m.id === msg.id, JSON.stringify(msg).slice(0, 80)); },
    async raw(bytes, what) { await this.write(bytes); return wait((m) => m.id === null, what); },
    async close() { p.stdin.end(); await new Promise((r) => p.on('close', r)); },
  };
}

// Wrong types for every argument of every tool: [tool, arguments].
const WRONG_ARGUMENTS = [
  ['run_sql', { sql: 42 }],
  ['run_sql', { sql: null }],
  ['run_sql', { sql: ['SELECT 1'] }],
  ['run_sql', { sql: { text: 'SELECT 1' } }],
  ['run_sql', { sql: true }],
  ['run_sql', {}],
  ['run_sql', { sql: 'SELECT 1', max_rows: '10' }],
  ['run_sql', { sql: 'SELECT 1', max_rows: 1.5 }],
  ['run_sql', { sql: 'SELECT 1', max_rows: -1 }],
  ['run_sql', { sql: 'SELECT 1', max_rows: 1e12 }],
  ['run_sql', { sql: 'SELECT 1', max_rows: null }],
  ['run_sql', { sql: 'SELECT 1', unexpected: 1 }],
  ['run_sql', 'SELECT 1'],
  ['run_sql', ['SELECT 1']],
  ['run_sql', 7],
  ['describe_table', { table: 5 }],
  ['describe_table', { table: null }],
  ['describe_table', { table: ['customers'] }],
  ['describe_table', {}],
  ['describe_table', { table: 'customers', extra: true }],
  ['list_tables', { schema: 5 }],
  ['list_tables', { schema: { name: 'shop' } }],
  ['list_tables', { schema: 'shop', extra: 1 }],
  ['list_tables', 'shop'],
];

describe('protocol abuse over stdio', () => {
  let db;
  before(() => { db = provision('abuse-stdio'); });
  after(() => db?.cleanup());

  test('garbage gets JSON-RPC errors, the session survives, and the audit log records none of it', async () => {
    const s = rawStdio(writeConfig(db));
    try {
      // Before initialize.
      assert.equal((await s.request({ jsonrpc: '2.0', id: 'u', method: 'resources/list' })).error.code, -32601);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 'tl', method: 'tools/list' })).error.code, -32600);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 'tc', method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'SELECT 1' } } })).error.code, -32600);
      assert.deepEqual((await s.request({ jsonrpc: '2.0', id: 'p0', method: 'ping' })).result, {});

      const init = await s.request(INIT());
      assert.equal(init.result.protocolVersion, '2025-11-25');
      await s.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
      assert.equal((await s.request(INIT(2))).error.code, -32600, 'duplicate initialize');

      // Malformed JSON, invalid UTF-8, lone surrogates, deep nesting.
      assert.equal((await s.raw('{"jsonrpc":"2.0","id":3,"method":\n', 'truncated JSON')).error.code, -32700);
      assert.equal((await s.raw('not json at all\n', 'not JSON')).error.code, -32700);
      assert.equal((await s.raw(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), 'invalid UTF-8')).error.code, -32700);
      assert.equal((await s.raw('{"jsonrpc":"2.0","id":4,"method":"ping","params":{"x":"\\ud800"}}\n', 'lone surrogate')).error.code, -32700);
      assert.equal((await s.raw('['.repeat(100000) + ']'.repeat(100000) + '\n', 'deep nesting')).error.code, -32700);
      assert.equal((await s.raw('{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + '\n', 'deep objects')).error.code, -32700);

      // Oversized: a 17 MB line is discarded as it streams (limit 16 MiB), then -32700.
      assert.equal((await s.raw(`{"jsonrpc":"2.0","id":5,"method":"ping","params":{"pad":"${'x'.repeat(17 << 20)}"}}\n`, '17 MB line')).error.code, -32700);
      // 11 MB of SQL within the message limit: refused as a tool error by the analyser (1 MiB cap).
      const big = await s.request({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'run_sql', arguments: { sql: `SELECT '${'a'.repeat(11 << 20)}'` } } });
      assert.equal(big.result.isError, true);
      assert.match(big.result.content[0].text, /longer than 1048576 bytes/);

      // Invalid messages and batches (batches only exist in 2025-03-26).
      assert.equal((await s.request({ jsonrpc: '1.0', id: 7, method: 'ping' })).error.code, -32600);
      assert.equal((await s.raw('{"jsonrpc":"2.0","id":null,"method":"ping"}\n', 'null id')).error.code, -32600);
      assert.equal((await s.raw('{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n', 'object id')).error.code, -32600);
      assert.equal((await s.raw('[]\n', 'empty batch')).error.code, -32600);
      const batch = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: 1000 + i, method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'DROP TABLE orders' } } }));
      const batchAnswer = await s.raw(JSON.stringify(batch) + '\n', '1000-call batch');
      assert.equal(batchAnswer.error.code, -32600);
      assert.equal((await s.raw('"just a string"\n', 'scalar')).error.code, -32600);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } })).error.code, -32602);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 42 } })).error.code, -32602);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: 'run_sql' })).error.code, -32602);
      assert.equal((await s.request({ jsonrpc: '2.0', id: 11, method: 'logging/setLevel', params: { level: 'loud' } })).error.code, -32602);

      // Wrong types for every tool argument: isError results naming the argument, no DB call.
      let id = 100;
      for (const [name, args] of WRONG_ARGUMENTS) {
        const r = await s.request({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } });
        const label = `${name} ${JSON.stringify(args)}`;
        if (r.error) {
          assert.equal(r.error.code, -32602, label);
        } else {
          assert.equal(r.result.isError, true, label);
          assert.ok(r.result.content[0].text.length > 10, label);
        }
      }

      // Still alive and still doing real work.
      assert.deepEqual((await s.request({ jsonrpc: '2.0', id: 'p1', method: 'ping' })).result, {});
      const ok = await s.request({ jsonrpc: '2.0', id: 'ok', method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } } });
      assert.ok(!ok.result.isError, JSON.stringify(ok.result));
    } finally {
      await s.close();
    }
    assert.equal(s.proc.exitCode, 0, s.stderr().slice(-2000));

    // The audit log: one call reached the pipeline (the COUNT: intent + outcome). The 11 MB
    // statement is refused by the guard's size check before analysis, like an invalid argument,
    // and is not recorded; neither is any of the garbage or the wrong-type calls.
    const records = auditRecords(db.dir);
    const types = records.map((r) => r.type);
    assert.equal(types.filter((t) => t === 'call.intent').length, 1, types.join(' '));
    assert.equal(types.filter((t) => t === 'call.outcome').length, 1, types.join(' '));
    const v = await sqlguard(['audit', 'verify', path.join(db.dir, 'audit')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  test('requests after stdin is closed get no answer and the process exits cleanly', async () => {
    const p = spawn(bin, ['serve', '--stdio', '--config', writeConfig(db)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stdin.write(JSON.stringify(INIT()) + '\n');
    p.stdin.end(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }));  // last line without \n
    const code = await new Promise((r) => p.on('close', r));
    assert.equal(code, 0);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((m) => m.id), [1, 2]);
  });
});


describe('protocol abuse over Streamable HTTP', () => {
  let db;
  let server;
  let url;
  let base;
  let stderr = '';

  before(async () => {
    db = provision('abuse-http');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    url = `${base}/mcp`;
    const config = writeConfig(db, (c) => { c.http = { listen: '127.0.0.1', port, resource_url: url }; });
    server = spawn(bin, ['serve', '--http', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr.on('data', (d) => { stderr += d; });
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/healthz`)).status === 200) break; } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    server?.kill('SIGTERM');
    await new Promise((r) => server?.on('close', r));
    db?.cleanup();
  });

  const headers = (extra = {}) => ({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extra });
  const post = (body, extra = {}) => fetch(url, { method: 'POST', headers: headers(extra), body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });
  async function rpcError(res) {
    const t = await res.text();
    try { return JSON.parse(t).error?.code; } catch { return undefined; }
  }

  async function session() {
    const r = await post(INIT());
    assert.equal(r.status, 200);
    const sid = r.headers.get('mcp-session-id');
    assert.ok(sid);
    await r.text();
    const n = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(n.status, 202);
    return sid;
  }

  test('garbage gets HTTP statuses and JSON-RPC errors; the server stays up; no audit records', async () => {
    const before = auditRecords(db.dir).filter((r) => r.type.startsWith('call.')).length;
    // Without a session.
    let r = await post('{"jsonrpc":"2.0",');
    assert.equal(r.status, 400);
    assert.equal(await rpcError(r), -32700);
    r = await post(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    assert.equal(r.status, 400, 'invalid UTF-8');
    assert.equal(await rpcError(r), -32700);
    r = await post('['.repeat(100000) + ']'.repeat(100000));
    assert.equal(r.status, 400, 'deep nesting');
    assert.equal(await rpcError(r), -32700);
    r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(11 << 20) } }));
    assert.equal(r.status, 413, '11 MB body');
    await r.text();
    r = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', accept: 'application/json' }, body: JSON.stringify(INIT()) });
    assert.equal(r.status, 415);
    await r.text();
    r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: JSON.stringify(INIT()) });
    assert.equal(r.status, 406);
    await r.text();
    // fetch() cannot set Host; node:http can.
    const hostStatus = await new Promise((resolve, reject) => {
      const body = JSON.stringify(INIT());
      const req = http.request(url, { method: 'POST', headers: { ...headers(), host: 'evil.example', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); resolve(res.statusCode); });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(hostStatus, 403, 'DNS rebinding Host');
    r = await post(INIT(), { origin: 'https://evil.example' });
    assert.equal(r.status, 403, 'foreign Origin');
    await r.text();
    r = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    assert.ok([400, 404].includes(r.status), `request without a session: ${r.status}`);
    await r.text();
    r = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': '0123456789abcdef0123456789abcdef' });
    assert.equal(r.status, 404, 'unknown session');
    await r.text();
    r = await post(INIT(1, '1999-01-01'));
    const unsupported = await r.json();
    assert.ok(unsupported.error || unsupported.result?.protocolVersion === '2025-11-25', 'unsupported version: error or counter-offer');
    if (r.headers.get('mcp-session-id')) await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': r.headers.get('mcp-session-id') } });

    // In a session.
    const sid = await session();
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    r = await post({ jsonrpc: '2.0', id: 3, method: 'resources/list' }, h);
    assert.equal(await rpcError(r), -32601);
    r = await post([{ jsonrpc: '2.0', id: 4, method: 'ping' }, { jsonrpc: '2.0', id: 5, method: 'ping' }], h);
    assert.equal(await rpcError(r), -32600, 'batch under 2025-11-25');
    r = await post({ jsonrpc: '2.0', id: 6, method: 'ping' }, { ...h, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(r.status, 400, 'unsupported MCP-Protocol-Version header');
    await r.text();
    r = await post('{"jsonrpc":"2.0","id":7,"method":"ping"', h);
    assert.equal(r.status, 400);
    assert.equal(await rpcError(r), -32700);
    let id = 100;
    for (const [name, args] of WRONG_ARGUMENTS) {
      r = await post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } }, h);
      assert.equal(r.status, 200);
      const m = await r.json();
      const label = `${name} ${JSON.stringify(args)}`;
      if (m.error) assert.equal(m.error.code, -32602, label);
      else assert.equal(m.result.isError, true, label);
    }
    r = await post({ jsonrpc: '2.0', id: 8, method: 'ping' }, h);
    assert.deepEqual((await r.json()).result, {}, 'still answers ping');

    // After the session is deleted ("shutdown"), its id is dead.
    r = await fetch(url, { method: 'DELETE', headers: h });
    assert.equal(r.status, 200);
    r = await post({ jsonrpc: '2.0', id: 9, method: 'ping' }, h);
    assert.equal(r.status, 404, 'request after DELETE');
    await r.text();
    r = await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'run_sql', arguments: { sql: 'SELECT 1' } } }, h);
    assert.equal(r.status, 404, 'tool call after DELETE');
    await r.text();

    // Still up; nothing recorded for any of it.
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const sid2 = await session();
    r = await post({ jsonrpc: '2.0', id: 11, method: 'ping' }, { 'mcp-session-id': sid2, 'mcp-protocol-version': '2025-11-25' });
    assert.deepEqual((await r.json()).result, {});
    const afterCount = auditRecords(db.dir).filter((r2) => r2.type.startsWith('call.')).length;
    assert.equal(afterCount, before, 'no call records for rejected garbage');
    assert.equal(server.exitCode, null, `server still running; stderr: ${stderr.slice(-1000)}`);
  });

  test('a slow-loris of 200 idle connections does not stop real requests', async () => {
    const sockets = [];
    const port = Number(new URL(url).port);
    for (let i = 0; i < 200; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n');
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const r = await fetch(`${base}/healthz`);
    assert.equal(r.status, 200);
    const elapsed = Date.now() - t0;
    for (const s of sockets) s.destroy();
    assert.ok(elapsed < 10000, `healthz took ${elapsed} ms under 200 idle connections`);
  });
});
