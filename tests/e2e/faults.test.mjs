// Faults, end to end against the built binary and a private MariaDB:
// - MariaDB restarted mid-session: the call in flight fails with a clear error, later calls
//   succeed after reconnect, the audit log shows both;
// - a statement over its timeout is cancelled server-side and its pooled connection (the only
//   one) comes back healthy;
// - a call the client cancels (notifications/cancelled, stdio and HTTP) is killed in MariaDB and
//   its outcome record says `cancelled`;
// - kill -9 of `serve --http` under concurrent load, then restart: `audit verify` passes and
//   every statement MariaDB received (its general log) has an intent record;
// - the audit directory full (a small tmpfs, when this machine lets us mount one): every call is
//   refused with a clear reason and /healthz says unhealthy. Without mount rights this case is
//   covered by the C++ integration test GuardIntegration.AuditFailureRefusesEverything
//   (injected ENOSPC).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { bin, freePort, connect, provision, readTree, sqlguard, text, writeConfig } from './helpers/env.mjs';

// Never finishes within the tests' timeouts (16^8 rows); SLEEP/BENCHMARK are built-in denials.
const SLOW_SQL = 'SELECT COUNT(*) AS n FROM orders a, orders b, orders c, orders d, orders e, orders f, orders g, orders h';

const records = (dir) => readTree(dir).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


async function startHttp(config, port) {
  let stderr = '';
  const p = spawn(bin, ['serve', '--http', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr.on('data', (d) => { stderr += d; });
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      await r.text();
      if (r.status === 200 || r.status === 503) break;
    } catch {}
    await sleep(50);
  }
  return { proc: p, stderr: () => stderr };
}

async function httpClient(url, name) {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

describe('faults', () => {
  let db;
  before(() => { db = provision('faults'); });
  after(() => db?.cleanup());

  test('MariaDB restarted mid-session: the in-flight call fails clearly, later calls succeed, audit shows both', async () => {
    const config = writeConfig(db, (c) => {
      c.policy.defaults.timeout_ms = 60000;
      c.audit.dir = path.join(db.dir, 'audit-restart');
    });
    const { client, stderr } = await connect(config, { clientName: 'faults-restart' });
    try {
      const inflight = client.callTool({ name: 'run_sql', arguments: { sql: SLOW_SQL } }, undefined, { timeout: 120000 });
      await sleep(1500);
      const t0 = Date.now();
      db.stop();
      const failed = await inflight;
      const failedAfter = Date.now() - t0;
      assert.equal(failed.isError, true, text(failed));
      assert.match(text(failed), /unavailable|lost|gone away|connection|server/i);
      assert.ok(!text(failed).includes(db.password));
      // While it is down: a clear error, quickly.
      const down = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
      assert.equal(down.isError, true);
      assert.match(text(down), /unavailable/);
      db.start();
      const ok = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
      assert.ok(!ok.isError, text(ok));
      assert.deepEqual(ok.structuredContent.rows, [[16]]);
      console.log(`# restart: in-flight call failed ${failedAfter} ms after the stop: ${text(failed).slice(0, 160)}`);
    } finally {
      await client.close();
    }
    assert.ok(!stderr().includes(db.password));
    const rs = records(path.join(db.dir, 'audit-restart'));
    const outcomes = rs.filter((r) => r.type === 'call.outcome');
    const slowIntent = rs.find((r) => r.type === 'call.intent' && r.statement.text === SLOW_SQL);
    assert.ok(slowIntent, 'the in-flight statement has its intent record');
    const slowOutcome = outcomes.find((r) => r.call === slowIntent.call);
    assert.equal(slowOutcome.status, 'error', JSON.stringify(slowOutcome));
    assert.ok(outcomes.some((r) => r.status === 'error' && r.error_class === 'unavailable'), 'the call while down');
    assert.ok(outcomes.some((r) => r.status !== 'error'), 'the call after the restart');
    const v = await sqlguard(['audit', 'verify', path.join(db.dir, 'audit-restart')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  test('a statement over its timeout is cancelled server-side; the only pooled connection comes back healthy', async () => {
    const config = writeConfig(db, (c) => {
      c.policy.defaults.timeout_ms = 1500;
      c.database.pool = { max_connections: 1, acquire_timeout_ms: 3000 };
      c.audit.dir = path.join(db.dir, 'audit-timeout');
    });
    const { client } = await connect(config, { clientName: 'faults-timeout' });
    try {
      const t0 = Date.now();
      const slow = await client.callTool({ name: 'run_sql', arguments: { sql: SLOW_SQL } });
      const elapsed = Date.now() - t0;
      assert.equal(slow.isError, true, text(slow));
      assert.match(text(slow), /time|exceed|interrupt/i);
      assert.ok(elapsed < 10000, `answered after ${elapsed} ms`);
      // Nothing of it is still running in MariaDB.
      await sleep(200);
      const running = db.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%orders h%' AND INFO NOT LIKE '%PROCESSLIST%'").trim();
      assert.equal(running, '0', 'the statement was killed server-side');
      // The same (only) connection serves the next calls.
      for (let i = 0; i < 3; i++) {
        const ok = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
        assert.ok(!ok.isError, text(ok));
        assert.deepEqual(ok.structuredContent.rows, [[16]]);
      }
      console.log(`# timeout: answered after ${elapsed} ms: ${text(slow).slice(0, 160)}`);
    } finally {
      await client.close();
    }
    const outcome = records(path.join(db.dir, 'audit-timeout')).find((r) => r.type === 'call.outcome' && r.status === 'error');
    assert.equal(outcome.error_class, 'timeout', JSON.stringify(outcome));
  });

  // Cancellation (MCP 2025-11-25 §basic/utilities/cancellation): the SDK client aborts a call
  // with an AbortSignal, which sends notifications/cancelled. The guard must kill the statement
  // in MariaDB (KILL QUERY), not merely drop the answer, and the outcome record must say so.
  for (const transport of ['stdio', 'http']) test(`a call the client cancels (${transport}) is killed in MariaDB and recorded as cancelled`, async () => {
    const audit = path.join(db.dir, `audit-cancel-${transport}`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const config = writeConfig(db, (c) => {
      c.policy.defaults.timeout_ms = 120000;
      c.database.pool = { max_connections: 1, acquire_timeout_ms: 5000 };
      c.audit.dir = audit;
      if (transport === 'http') c.http = { listen: '127.0.0.1', port, resource_url: url };
    });
    const tag = `cancel_${transport}_${Date.now()}`;
    const sql = `${SLOW_SQL.replace('COUNT(*) AS n', `COUNT(*) AS ${tag}`)}`;
    const running = () => Number(db.sql(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${tag}%' AND INFO NOT LIKE '%PROCESSLIST%'`).trim());
    let server;
    let client;
    if (transport === 'http') {
      server = await startHttp(config, port);
      ({ client } = await httpClient(url, 'faults-cancel'));
    } else {
      ({ client } = await connect(config, { clientName: 'faults-cancel' }));
    }
    try {
      const abort = new AbortController();
      const call = client.callTool({ name: 'run_sql', arguments: { sql } }, undefined, { signal: abort.signal, timeout: 120000 });
      // Wait until MariaDB is running it.
      for (let i = 0; i < 100 && running() === 0; i++) await sleep(50);
      assert.equal(running(), 1, 'the statement reached MariaDB');
      const t0 = Date.now();
      abort.abort('the user pressed stop');
      await assert.rejects(call, /abort|stop/i);
      let left = running();
      for (let i = 0; i < 100 && left !== 0; i++) { await sleep(50); left = running(); }
      const elapsed = Date.now() - t0;
      assert.equal(left, 0, 'the statement was killed in MariaDB');
      // The only pooled connection serves the next call.
      const ok = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
      assert.ok(!ok.isError, text(ok));
      assert.deepEqual(ok.structuredContent.rows, [[16]]);
      console.log(`# cancel (${transport}): gone from MariaDB ${elapsed} ms after the abort`);
    } finally {
      await client.close();
      if (server) {
        server.proc.kill('SIGTERM');
        await new Promise((r) => server.proc.on('close', r));
      }
    }
    let outcome;
    for (let i = 0; i < 50 && !outcome; i++) {
      outcome = records(audit).find((r) => r.type === 'call.outcome' && r.status === 'error');
      if (!outcome) await sleep(50);
    }
    assert.ok(outcome, 'the cancelled call has an outcome record');
    assert.equal(outcome.error_class, 'cancelled', JSON.stringify(outcome));
  });

  // Preallocated segments (a small step, so the background thread refills several times under
  // the load): the log a kill leaves ends in zeros, verifies as it is, and is sealed after restart.
  for (const [durability, preallocate] of [['strict', 0], ['intent', 0], ['strict', 65536]]) test(`kill -9 under concurrent load (audit.durability: ${durability}${preallocate ? `, preallocate_bytes: ${preallocate}` : ''}), then restart: audit verify passes and every statement MariaDB received has its intent${durability === 'strict' ? ', every answered call its outcome' : ''}`, async () => {
    const variant = `${durability}${preallocate ? '-preallocated' : ''}`;
    const audit = path.join(db.dir, `audit-kill-${variant}`);
    const generalLog = path.join(db.dir, `general-${variant}.log`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const config = writeConfig(db, (c) => {
      c.http = { listen: '127.0.0.1', port, resource_url: url };
      c.audit.dir = audit;
      c.audit.durability = durability;
      if (preallocate) c.audit.preallocate_bytes = preallocate;
      c.database.pool = { max_connections: 8, acquire_timeout_ms: 5000 };
      // Let analysts update orders directly (the demo holds updates for approval).
      c.policy.rules = c.policy.rules.filter((r) => r.action !== 'approve');
      c.policy.rules.push({ id: 'analysts-update-orders', action: 'allow', principals: { groups: ['analysts'] }, kinds: ['update'], tables: ['shop.orders'] });
    });
    db.sql(`SET GLOBAL general_log_file = '${generalLog}'; SET GLOBAL log_output = 'FILE'; SET GLOBAL general_log = 1`);
    let server = await startHttp(config, port);
    let counter = 0;
    let stop = false;
    const answered = [];
    const worker = async (w) => {
      const { client } = await httpClient(url, `kill-${w}`);
      while (!stop) {
        const n = ++counter;
        const sql = n % 2 === 0
          ? `UPDATE orders SET quantity = quantity WHERE id = ${(n % 16) + 1} AND ${n} > 0`
          : `SELECT ${n} AS k, COUNT(*) AS c FROM orders WHERE id > ${n % 16}`;
        try {
          const r = await client.callTool({ name: 'run_sql', arguments: { sql } });
          if (!r.isError) answered.push(n);
        } catch {
          return; // the server died under us
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(3000);
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.on('close', r));
    stop = true;
    await Promise.allSettled(workers);
    assert.ok(answered.length > 20, `load before the kill: ${answered.length} calls answered`);
    const segments = () => fs.readdirSync(audit).filter((f) => /^audit-\d{6}\.jsonl$/.test(f)).sort();
    if (preallocate) {
      const last = fs.readFileSync(path.join(audit, segments().at(-1)));
      assert.equal(last.at(-1), 0, 'the killed log ends in its zero-filled space');
      const crashed = await sqlguard(['audit', 'verify', audit]);
      assert.equal(crashed.status, 0, 'the log a kill left verifies as it is: ' + crashed.stdout + crashed.stderr);
    }

    // Restart on the same audit directory; it must accept new calls and verify.
    server = await startHttp(config, port);
    try {
      const { client } = await httpClient(url, 'after-kill');
      const r = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 424242 AS k, COUNT(*) AS c FROM orders' } });
      assert.ok(!r.isError, text(r) + server.stderr());
      await client.close();
    } finally {
      server.proc.kill('SIGTERM');
      await new Promise((r) => server.proc.on('close', r));
      db.sql('SET GLOBAL general_log = 0');
    }
    const v = await sqlguard(['audit', 'verify', audit]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    for (const f of segments()) assert.ok(!fs.readFileSync(path.join(audit, f)).includes(0), `${f} is sealed after a clean shutdown`);

    // Every agent statement MariaDB received carries a unique number n; each must have an intent.
    const intents = new Set(records(audit).filter((r) => r.type === 'call.intent').map((r) => r.statement.text));
    const executed = fs.readFileSync(generalLog, 'utf8').split('\n')
      .map((l) => /\b(?:Query|Execute)\t((?:UPDATE orders SET quantity = quantity WHERE id = \d+ AND \d+ > 0)|(?:SELECT \d+ AS k, COUNT\(\*\) AS c FROM orders(?: WHERE id > \d+)?))\s*$/.exec(l))
      .filter(Boolean).map((m) => m[1]);
    assert.ok(executed.length >= answered.length, `general log: ${executed.length} statements, ${answered.length} answered`);
    const missing = executed.filter((s) => !intents.has(s));
    assert.deepEqual(missing, [], 'statements executed without an intent record');
    for (const n of answered) {
      assert.ok([...intents].some((s) => s.includes(` ${n} `)), `answered call ${n} has an intent`);
    }
    // strict: the outcome was durable before the answer left, so every answered call has one.
    // intent: outcomes of the last milliseconds before the kill may be missing (documented).
    const all = records(audit);
    const outcomes = new Set(all.filter((r) => r.type === 'call.outcome').map((r) => r.call));
    const callOf = new Map(all.filter((r) => r.type === 'call.intent').map((r) => [r.statement.text, r.call]));
    const withoutOutcome = answered.filter((n) => {
      const text = [...callOf.keys()].find((s) => s.includes(` ${n} `));
      return !outcomes.has(callOf.get(text));
    });
    if (durability === 'strict') assert.deepEqual(withoutOutcome, [], 'answered calls without an outcome record');
    console.log(`# kill -9 (${variant}): ${answered.length} calls answered before the kill, ${executed.length} statements received by MariaDB, ${intents.size} intent records, ${withoutOutcome.length} answered calls without outcome, verify: ${v.stdout.trim()}`);
  });

  test('audit directory full: every call is refused with a clear reason, /healthz says unhealthy, and it resumes when space returns with the chain intact', async (t) => {
    const mnt = path.join(db.dir, 'audit-tmpfs');
    fs.mkdirSync(mnt, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here; GuardIntegration.AuditFailureRefusesEverything covers it with an injected ENOSPC');
      return;
    }
    let server;
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      const config = writeConfig(db, (c) => {
        c.http = { listen: '127.0.0.1', port, resource_url: url };
        c.audit.dir = path.join(mnt, 'audit');
      });
      server = await startHttp(config, port);
      const { client } = await httpClient(url, 'audit-full');
      const ok = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
      assert.ok(!ok.isError, text(ok));
      let h = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(h.status, 200);
      await h.text();
      // Fill the file system.
      try { execFileSync('dd', ['if=/dev/zero', `of=${path.join(mnt, 'filler')}`, 'bs=64k'], { stdio: 'ignore' }); } catch {}
      // Records already in the last page of a tmpfs file still fit; keep calling until the
      // first write fails, then everything must be refused.
      let first = -1;
      for (let i = 0; i < 50 && first < 0; i++) {
        const r = await client.callTool({ name: 'run_sql', arguments: { sql: `SELECT ${i} AS k, COUNT(*) AS n FROM orders` } });
        if (r.isError) first = i;
      }
      assert.ok(first >= 0, 'a call was refused once the audit file system was full');
      const refused = [];
      for (let i = 0; i < 3; i++) {
        refused.push(await client.callTool({ name: 'run_sql', arguments: { sql: `SELECT ${100 + i} AS k` } }));
      }
      for (const r of refused) {
        assert.equal(r.isError, true, text(r));
        assert.match(text(r), /audit log cannot record/);
      }
      h = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(h.status, 503);
      const doc = await h.json();
      assert.equal(doc.status, 'unhealthy');
      assert.equal(doc.audit.writable, false);
      console.log(`# audit full: ${text(refused[refused.length - 1]).slice(0, 160)}; healthz ${JSON.stringify(doc)}`);
      // Space returns: within a few probe intervals (1 s) the log resumes by itself.
      fs.rmSync(path.join(mnt, 'filler'));
      const resumeStart = Date.now();
      for (;;) {
        h = await fetch(`http://127.0.0.1:${port}/healthz`);
        await h.text();
        if (h.status === 200 || Date.now() - resumeStart > 15000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(h.status, 200, '/healthz is healthy again once space returns');
      const resumed = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT 7 AS k, COUNT(*) AS n FROM orders' } });
      assert.ok(!resumed.isError, text(resumed));
      assert.equal(resumed.structuredContent.rows[0][0], 7);
      await client.close();
      server.proc.kill('SIGTERM');
      await new Promise((r) => server.proc.on('close', r));
      server = undefined;

      // The chain is intact across the failure, and the record says what happened.
      const auditDir = path.join(mnt, 'audit');
      const v = await sqlguard(['audit', 'verify', auditDir]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      const all = records(auditDir);
      const recovery = all.filter((r) => r.type === 'recovery');
      assert.equal(recovery.length, 1, 'one recovery record');
      assert.match(recovery[0].reason, /No space left on device/);
      assert.ok(recovery[0].refused_requests >= 3 && recovery[0].unavailable_ms > 0, JSON.stringify(recovery[0]));
      // Every intent in the log has exactly one outcome: those whose first append failed after
      // the statement ran were written late, after the recovery record.
      const count = (type) => {
        const m = new Map();
        for (const r of all.filter((x) => x.type === type)) m.set(r.call, (m.get(r.call) ?? 0) + 1);
        return m;
      };
      const intents = count('call.intent');
      const outcomes = count('call.outcome');
      for (const [call, n] of intents) assert.equal(outcomes.get(call), n, `call ${call}: ${n} intent(s), ${outcomes.get(call) ?? 0} outcome(s)`);
      const late = all.filter((r) => r.type === 'call.outcome' && r.late);
      for (const r of late) assert.ok(r.seq > recovery[0].seq, 'late outcomes follow the recovery record');
      console.log(`# audit full, then space returned: resumed after ${recovery[0].unavailable_ms} ms (probes ${recovery[0].probes}, discarded ${recovery[0].discarded_records}, cut ${recovery[0].cut_bytes} bytes, refused requests ${recovery[0].refused_requests}), late outcomes ${late.length}; ${v.stdout.trim()}`);
    } finally {
      if (server) { server.proc.kill('SIGTERM'); await new Promise((r) => server.proc.on('close', r)); }
      try { execFileSync('umount', [mnt]); } catch {}
    }
  });
});
