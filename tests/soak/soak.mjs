// Soak test (bounded, loopback only): N concurrent MCP clients (the official TypeScript SDK over
// Streamable HTTP) call `sqlguard serve --http` for a fixed time, mixing allowed, refused, masked
// and — when the binary supports approvals — held calls. At the end: zero unexpected results,
// one call.outcome record per call made, `audit verify` passes, and the server's resident memory
// at start (after warm-up) and end.
//
//   node tests/soak/soak.mjs [--duration 300] [--clients 16] [--warmup 10]
//   (or scripts/soak [seconds]; SQLGUARD_BIN picks the binary, default build/sqlguard)
//
// Prints a JSON summary on stdout; exit code 1 when any check fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { bin, freePort, provision, readTree, sqlguard, writeConfig } from '../e2e/helpers/env.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    clients: { type: 'string', default: '16' },
    warmup: { type: 'string', default: '10' },
  },
});
const DURATION_S = Number(args.duration);
const CLIENTS = Number(args.clients);
const WARMUP_S = Math.min(Number(args.warmup), Math.max(1, DURATION_S / 5));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const text = (res) => (res.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');


function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

// The call mix. Each kind has a statement generator and a check of the result; `held` is used
// only when the binary accepts an `approvals:` section.
const KINDS = {
  allowed: {
    sql: (n) => `SELECT o.id, o.status, p.name FROM orders o JOIN products p ON p.id = o.product_id WHERE o.id > ${n % 16} ORDER BY o.id LIMIT 5`,
    ok: (r) => !r.isError && Array.isArray(r.structuredContent?.rows),
  },
  refused: {
    sql: (n) => (n % 2 ? 'DROP TABLE customers' : `SELECT body FROM staff_notes WHERE id > ${n % 7}`),
    ok: (r) => r.isError === true && /refused/.test(text(r)),
  },
  masked: {
    sql: (n) => `SELECT id, name, email, ssn, card_number FROM customers WHERE id > ${n % 8} ORDER BY id LIMIT 3`,
    ok: (r) => !r.isError && r.structuredContent?.columns?.filter((c) => c.masked).length === 3 &&
      !JSON.stringify(r).includes('900-12-'),
  },
  held: {
    sql: (n) => `UPDATE orders SET quantity = quantity WHERE id = ${(n % 16) + 1}`,
    ok: (r) => r.isError === true && /approval/i.test(text(r)),
  },
};

async function main() {
  const db = provision('soak');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const withApprovals = (c) => { c.approvals = { wait_ms: 100, expiry_s: 600, store: { type: 'sqlite' } }; };
  let config = writeConfig(db, (c) => {
    c.http = { listen: '127.0.0.1', port, resource_url: url };
    withApprovals(c);
  });
  const probe = await sqlguard(['validate', '--config', config]);
  const held = probe.status === 0;
  if (!held) {
    console.error(`soak: this binary does not accept an approvals section, so no held calls: ${probe.stdout}${probe.stderr}`.trim());
    config = writeConfig(db, (c) => { c.http = { listen: '127.0.0.1', port, resource_url: url }; });
  }
  const kinds = held ? ['allowed', 'refused', 'masked', 'held'] : ['allowed', 'refused', 'masked'];

  let stderr = '';
  const server = spawn(bin, ['--log-level', 'warn', 'serve', '--http', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20000); });
  for (let i = 0; i < 200; i++) {
    try { const r = await fetch(`http://127.0.0.1:${port}/healthz`); await r.text(); if (r.status === 200) break; } catch {}
    await sleep(50);
  }

  const counts = Object.fromEntries(kinds.map((k) => [k, 0]));
  const unexpected = [];
  const latencies = [];
  let calls = 0;
  let n = 0;
  const deadline = Date.now() + DURATION_S * 1000;
  let rssStart = null;
  const rssSamples = [];
  const sampler = setInterval(() => { try { rssSamples.push(rssKiB(server.pid)); } catch {} }, 5000);
  setTimeout(() => { try { rssStart = rssKiB(server.pid); } catch {} }, WARMUP_S * 1000);

  async function client(i) {
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const c = new Client({ name: `soak-${i}`, version: '1.0.0' });
    await c.connect(transport);
    let k = i;
    while (Date.now() < deadline) {
      const kind = kinds[k++ % kinds.length];
      const sql = KINDS[kind].sql(n++);
      const t0 = performance.now();
      calls++;
      try {
        const r = await c.callTool({ name: 'run_sql', arguments: { sql } });
        latencies.push(performance.now() - t0);
        counts[kind]++;
        if (!KINDS[kind].ok(r)) unexpected.push({ kind, sql, result: text(r).slice(0, 300) });
      } catch (e) {
        unexpected.push({ kind, sql, error: String(e).slice(0, 300) });
      }
    }
    await transport.terminateSession().catch(() => {});
    await c.close();
  }

  const started = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const rssEnd = rssKiB(server.pid);
  server.kill('SIGTERM');
  const exitCode = await new Promise((r) => server.on('close', r));

  const audit = path.join(db.dir, 'audit');
  const records = readTree(audit).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const outcomes = records.filter((r) => r.type === 'call.outcome').length;
  const intents = records.filter((r) => r.type === 'call.intent').length;
  const verify = await sqlguard(['audit', 'verify', audit]);
  latencies.sort((a, b) => a - b);
  const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) / 10;

  const summary = {
    duration_s: Math.round(elapsed),
    clients: CLIENTS,
    held_calls_included: held,
    calls,
    calls_per_s: Math.round(calls / elapsed),
    by_kind: counts,
    unexpected: unexpected.length,
    unexpected_examples: unexpected.slice(0, 5),
    latency_ms: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: pct(1) },
    audit: { records: records.length, call_intent: intents, call_outcome: outcomes, verify_ok: verify.status === 0, verify: verify.stdout.trim().split('\n').pop() },
    rss_kib: {
      start_after_warmup: rssStart, end: rssEnd, max_sampled: Math.max(rssEnd, ...rssSamples),
      // one sample per minute (every 12th 5-second sample), to tell growth from a plateau
      per_minute: rssSamples.filter((_, i) => i % 12 === 11),
    },
    server_exit_code: exitCode,
  };
  console.log(JSON.stringify(summary, null, 2));

  const failures = [];
  if (unexpected.length) failures.push(`${unexpected.length} unexpected results`);
  if (outcomes !== calls) failures.push(`call.outcome records ${outcomes} != calls ${calls}`);
  if (verify.status !== 0) failures.push(`audit verify failed: ${verify.stdout}${verify.stderr}`);
  if (exitCode !== 0) failures.push(`server exit code ${exitCode}: ${stderr.slice(-2000)}`);
  if (stderr.includes(db.password)) failures.push('the database password appeared in the server log');
  if (failures.length) {
    console.error(`soak: FAILED: ${failures.join('; ')}`);
    console.error(`soak: data kept in ${db.dir}`);
    try { db.stop(); } catch {}
    process.exit(1);
  }
  db.cleanup();
  console.error('soak: OK');
}

main().catch((e) => { console.error(e); process.exit(1); });
