// End to end over stdio: the built sqlguard binary under the official MCP TypeScript SDK client,
// against a private MariaDB with the demo dataset.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { bin, connect, provision, readTree, root, sqlguard, text, writeConfig } from './helpers/env.mjs';

const schema = (name) => new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(root, 'schemas', name), 'utf8')));

// Values seeded in examples/demo/schema.sql that masking must never let out.
const SECRETS = ['ada.lovelace@example.com', '900-12-0001', '4111111111111111', '+44 20 7946 0101', '1985-12-10'];

describe('sqlguard over stdio', () => {
  let db;
  let config;
  let session;
  const seen = []; // every byte the agent received

  before(async () => {
    db = provision('stdio');
    config = writeConfig(db);
    session = await connect(config, { clientName: 'e2e-stdio' });
  });
  after(async () => {
    await session?.client.close();
    db?.cleanup();
  });

  async function call(name, args) {
    const res = await session.client.callTool({ name, arguments: args });
    seen.push(JSON.stringify(res));
    return res;
  }

  test('initialize negotiates 2025-11-25 and lists three tools with schemas and annotations', async () => {
    assert.equal(session.client.getServerVersion().name, 'sqlguard');
    const { tools } = await session.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ['run_sql', 'describe_table', 'list_tables']);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object');
      assert.ok(t.outputSchema, `${t.name} has an outputSchema`);
      assert.ok(t.description.length > 20);
      assert.ok(t.annotations);
    }
    assert.equal(tools.find((t) => t.name === 'list_tables').annotations.readOnlyHint, true);
  });

  test('list_tables shows readable tables and their masked columns, not denied ones', async () => {
    const res = await call('list_tables', {});
    assert.ok(!res.isError, text(res));
    const names = res.structuredContent.tables.map((t) => t.name);
    assert.ok(names.includes('customers') && names.includes('orders'));
    assert.ok(!names.includes('staff_notes'), 'a table denied by policy is not listed');
    const customers = res.structuredContent.tables.find((t) => t.name === 'customers');
    assert.deepEqual([...customers.masked_columns].sort(), ['birth_date', 'card_number', 'email', 'phone', 'ssn']);
  });

  test('describe_table flags masked columns with their rule', async () => {
    const res = await call('describe_table', { table: 'customers' });
    assert.ok(!res.isError, text(res));
    const email = res.structuredContent.columns.find((c) => c.name === 'email');
    assert.equal(email.masked, true);
    assert.equal(email.masking_rule, 'pii-email');
    assert.equal(res.structuredContent.columns.find((c) => c.name === 'city').masked, false);
    const denied = await call('describe_table', { table: 'staff_notes' });
    assert.equal(denied.isError, true);
    assert.match(text(denied), /does not exist or you may not read it/);
  });

  test('an allowed SELECT returns typed rows in structuredContent and as text', async () => {
    const res = await call('run_sql', { sql: 'SELECT id, name, city FROM customers WHERE id <= 3 ORDER BY id' });
    assert.ok(!res.isError, text(res));
    const sc = res.structuredContent;
    assert.deepEqual(sc.columns.map((c) => c.name), ['id', 'name', 'city']);
    assert.deepEqual(sc.rows[0], [1, 'Ada Lovelace', 'London']);
    assert.equal(sc.row_count, 3);
    assert.equal(sc.truncated, false);
    assert.match(text(res), /Ada Lovelace \| London/);
  });

  test('PII columns come back masked, with the rule named', async () => {
    const res = await call('run_sql', { sql: 'SELECT id, email, ssn, card_number, phone, birth_date FROM customers WHERE id = 1' });
    assert.ok(!res.isError, text(res));
    const [row] = res.structuredContent.rows;
    const cols = Object.fromEntries(res.structuredContent.columns.map((c, i) => [c.name, { ...c, value: row[i] }]));
    assert.equal(cols.id.masked, false);
    for (const name of ['email', 'ssn', 'card_number', 'phone', 'birth_date']) assert.equal(cols[name].masked, true, name);
    assert.match(cols.email.value, /@example\.com$/);
    assert.notEqual(cols.email.value, 'ada.lovelace@example.com');
    assert.match(cols.card_number.value, /1111$/);
    assert.notEqual(cols.card_number.value, '4111111111111111');
  });

  test('an aliased masked column is still masked; a masked column in a function is refused', async () => {
    const aliased = await call('run_sql', { sql: 'SELECT email AS contact FROM customers WHERE id = 1' });
    assert.ok(!aliased.isError, text(aliased));
    assert.equal(aliased.structuredContent.columns[0].masked, true);
    const fn = await call('run_sql', { sql: 'SELECT UPPER(email) FROM customers' });
    assert.equal(fn.isError, true);
    assert.match(text(fn), /email/);
  });

  test('DROP TABLE is refused with a reason naming the rule, and the table is still there', async () => {
    const res = await call('run_sql', { sql: 'DROP TABLE customers' });
    assert.equal(res.isError, true);
    assert.match(text(res), /refused/);
    assert.match(text(res), /drop_table|rule/);
    assert.equal(db.sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='customers'").trim(), '1');
  });

  test('stacked statements and executable comments are refused and have no effect', async () => {
    for (const sql of ['SELECT 1; DROP TABLE orders', 'SELECT 1 /*!50000 ; DROP TABLE orders */', "SELECT 1 #'\n;DROP TABLE orders;#'"]) {
      const res = await call('run_sql', { sql });
      assert.equal(res.isError, true, sql);
    }
    assert.equal(db.sql("SELECT COUNT(*) FROM shop.orders").trim(), '16');
  });

  test('max_rows truncates, and bad arguments are tool errors the model can read', async () => {
    const res = await call('run_sql', { sql: 'SELECT id FROM orders ORDER BY id', max_rows: 5 });
    assert.equal(res.structuredContent.row_count, 5);
    assert.equal(res.structuredContent.truncated, true);
    const bad = await call('run_sql', { sql: 42 });
    assert.equal(bad.isError, true);
    assert.match(text(bad), /'sql'/);
    const extra = await call('run_sql', { sql: 'SELECT 1', bogus: true });
    assert.equal(extra.isError, true);
  });

  test('an unknown tool is a JSON-RPC error -32602', async () => {
    await assert.rejects(session.client.callTool({ name: 'drop_everything', arguments: {} }), (e) => e instanceof McpError && e.code === -32602);
  });

  test('no seeded secret and no credential reaches the agent, the logs or the audit log', async () => {
    await session.client.close();
    session = await connect(config, { clientName: 'e2e-stdio' });
    const agentBytes = seen.join('\n');
    for (const s of SECRETS) assert.ok(!agentBytes.includes(s), `secret ${s} leaked to the agent`);
    const audit = readTree(path.join(db.dir, 'audit'));
    assert.ok(audit.length > 0);
    for (const s of SECRETS) assert.ok(!audit.includes(s), `secret ${s} in the audit log`);
    for (const where of [agentBytes, audit, session.stderr(), fs.readFileSync(config, 'utf8')]) {
      assert.ok(!where.includes(db.password), 'the database password leaked');
    }
  });

  test('the audit log verifies and holds intent and outcome records of the calls', async () => {
    await session.client.close();
    session = await connect(config, { clientName: 'e2e-stdio' });
    const r = await sqlguard(['audit', 'verify', path.join(db.dir, 'audit'), '--pubkey', path.join(db.dir, 'audit-ed25519.pub')]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK/);
    const records = readTree(path.join(db.dir, 'audit')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const types = new Set(records.map((r) => r.type));
    for (const t of ['session.start', 'session.end', 'call.intent', 'call.outcome']) assert.ok(types.has(t), t);
    const validRecord = schema('audit-record.schema.json');
    for (const r of records) assert.ok(validRecord(r), `record ${r.seq} does not match schemas/audit-record.schema.json: ${JSON.stringify(validRecord.errors)}`);
    const drop = records.find((r) => r.type === 'call.intent' && r.statement?.text === 'DROP TABLE customers');
    assert.equal(drop.decision.action, 'deny');
    assert.equal(drop.principal.subject, 'demo-agent');
    assert.equal(drop.principal.client.name, 'e2e-stdio');
  });
});

describe('configuration schema', () => {
  test('the shipped configs validate against schemas/config.schema.json, and a broken one does not', () => {
    const valid = schema('config.schema.json');
    for (const file of ['examples/demo/sqlguard.yaml', 'tests/corpus/corpus-config.yaml']) {
      const doc = YAML.parse(fs.readFileSync(path.join(root, file), 'utf8'));
      assert.ok(valid(doc), `${file}: ${JSON.stringify(valid.errors)}`);
    }
    assert.equal(valid({ database: { user: 'a', password: 'inline' }, policy: {}, audit: { dir: 'x' } }), false);
  });
});

describe('operator commands on the same database', () => {
  let db;
  before(() => { db = provision('ops'); });
  after(() => db?.cleanup());

  test('doctor finds the demo account grants fit the policy, and flags a wider grant', async () => {
    const config = writeConfig(db);
    const ok = await sqlguard(['doctor', '--config', config]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /grants fit the policy/);
    assert.ok(!ok.stdout.includes(db.password));
    db.sql("GRANT FILE ON *.* TO 'sqlguard_agent'@'localhost'");
    const wide = await sqlguard(['doctor', '--config', config]);
    assert.equal(wide.status, 1);
    assert.match(wide.stdout, /FILE on \*\.\* is an administrative privilege/);
    db.sql("REVOKE FILE ON *.* FROM 'sqlguard_agent'@'localhost'");
  });

  test('audit replay re-runs a session on a test database and every digest matches', async () => {
    const config = writeConfig(db);
    const { client } = await connect(config, { clientName: 'e2e-replay' });
    for (const sql of ['SELECT id, name, email FROM customers ORDER BY id', 'SELECT COUNT(*) FROM orders', 'DROP TABLE orders']) {
      await client.callTool({ name: 'run_sql', arguments: { sql } });
    }
    await client.close();
    const records = readTree(path.join(db.dir, 'audit')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const session = records.filter((r) => r.type === 'session.start').at(-1).session;
    const replayConfig = writeConfig(db, (c) => { c.audit.dir = path.join(db.dir, 'audit-replay'); });
    const r = await sqlguard(['audit', 'replay', path.join(db.dir, 'audit'), '--session', session, '--config', replayConfig]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 of 2 statements of session \S+ match/);
    // A changed database is detected.
    db.sql("UPDATE shop.orders SET quantity = quantity WHERE id = 1; DELETE FROM shop.orders WHERE id = 16");
    const changed = await sqlguard(['audit', 'replay', path.join(db.dir, 'audit'), '--session', session, '--config', replayConfig]);
    assert.equal(changed.status, 1);
    assert.match(changed.stdout, /MISMATCH/);
  });
});

describe('sqlguard while the database is down', () => {
  let db;
  after(() => db?.cleanup());

  test('starts, answers initialize and tools/list, fails calls clearly, recovers when the database is back', async () => {
    db = provision('down');
    const config = writeConfig(db);
    db.stop();
    const { client, stderr } = await connect(config);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 3);
    const res = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) FROM orders' } });
    assert.equal(res.isError, true);
    assert.match(text(res), /unavailable/);
    assert.ok(!text(res).includes(db.password));
    db.start();
    const ok = await client.callTool({ name: 'run_sql', arguments: { sql: 'SELECT COUNT(*) AS n FROM orders' } });
    assert.ok(!ok.isError, text(ok));
    assert.deepEqual(ok.structuredContent.rows, [[16]]);
    await client.close();
    assert.ok(!stderr().includes(db.password));
  });
});

describe('raw JSON-RPC framing over stdio', () => {
  test('unknown method before initialize is -32601, malformed JSON -32700, stdout carries only JSON lines', async () => {
    const db = provision('raw');
    try {
      const config = writeConfig(db);
      const p = spawn(bin, ['serve', '--stdio', '--config', config], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.stdin.write('{"jsonrpc":"2.0","id":0,"method":"server/discover"}\n');
      p.stdin.write('{not json\n');
      p.stdin.write('{"jsonrpc":"2.0","id":"x","method":"ping"}\n');
      p.stdin.end();
      await new Promise((resolve) => p.on('close', resolve));
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      assert.equal(lines.find((m) => m.id === 0).error.code, -32601);
      assert.equal(lines.find((m) => m.id === null).error.code, -32700);
      assert.deepEqual(lines.find((m) => m.id === 'x').result, {});
    } finally {
      db.cleanup();
    }
  });
});
