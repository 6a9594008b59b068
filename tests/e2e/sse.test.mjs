// End to end over the legacy HTTP+SSE transport (MCP 2024-11-05) with the official SDK's
// SSEClientTransport: `sqlguard serve --http` on a free loopback port without authentication,
// tools listed and a SELECT run through GET /sse + POST /messages; GET /metrics afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { bin, freePort, provision, text, writeConfig } from './helpers/env.mjs';


describe('sqlguard over legacy HTTP+SSE (2024-11-05)', () => {
  let db;
  let server;
  let base;
  let stderr = '';

  before(async () => {
    db = provision('sse');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = writeConfig(db, (c) => {
      c.http = { listen: '127.0.0.1', port };
      delete c.auth;
    });
    server = spawn(bin, ['serve', '--http', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr.on('data', (d) => { stderr += d; });
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${base}/healthz`);
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

  test('lists tools and runs a SELECT through SSEClientTransport', async () => {
    const transport = new SSEClientTransport(new URL(`${base}/sse`));
    const client = new Client({ name: 'e2e-sse', version: '1.0.0' });
    await client.connect(transport);
    // The server holds this one legacy session while the stream is open.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^sqlguard_mcp_sessions\{transport="sse"\} 1$/m);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['describe_table', 'list_tables', 'run_sql']);
    const r = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT id, name, city FROM customers WHERE id = 2' } });
    assert.ok(!r.isError, text(r));
    assert.match(text(r), /Grace Hopper/);
    const refused = await client.callTool({ name: 'run_sql', arguments: { sql: 'DROP TABLE customers' } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /refused/);
    await client.close();
  });

  test('a message for an unknown session is refused with 404', async () => {
    const r = await fetch(`${base}/messages?sessionId=0123456789abcdef0123456789abcdef`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(r.status, 404);
  });

  test('GET /metrics reports the pool and, in Prometheus text format, sessions', async () => {
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const body = await r.text();
    assert.match(body, /^# TYPE sqlguard_db_connections gauge$/m);
    assert.match(body, /^sqlguard_db_connections\{state="open"\} \d+$/m);
    assert.match(body, /^sqlguard_mcp_sessions\{transport="sse"\} \d+$/m);
    // The audit stream feeds the call metrics: the SELECT allowed and the DROP denied above.
    assert.match(body, /^sqlguard_tool_calls_total\{[^}]*decision="allow"[^}]*\} [1-9]\d*$/m);
    assert.match(body, /^sqlguard_tool_calls_total\{[^}]*decision="deny"[^}]*\} [1-9]\d*$/m);
    assert.match(body, /^sqlguard_audit_append_seconds_count \d+$/m);
    assert.ok(!stderr.includes(db.password));
  });
});
