// The web console in a real browser (headless Chromium driven by playwright-core): an agent's
// UPDATE is held for approval → a reviewer signs in to /console and approves it → the agent's
// call completes → the row changed, the audit log holds the request, the decision and the
// executed call, and `sqlguard audit verify` passes. A screenshot of each console view is saved
// in the test's temp dir (SQLGUARD_KEEP_SCREENSHOTS=DIR copies them there). The same process
// serves the MySQL front door: a statement held there is reviewed in the console like an MCP one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium } from 'playwright-core';
import { bin, freePort, provision, readTree, sqlguard, text, writeConfig } from './helpers/env.mjs';
import { generateKeyFile, mintToken } from './helpers/mint-token.mjs';

const ISSUER = 'https://issuer.sqlguard.test';
const CHROMIUM = process.env.SQLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const UPDATE = "UPDATE orders SET status='shipped' WHERE id=6";


async function waitFor(check, what, ms = 30000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('web console: approve a held statement in the browser', { skip: !fs.existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}` }, () => {
  let db;
  let server;
  let base;
  let url;
  let keys;
  let browser;
  let shots;
  let stderr = '';
  let mysqlPort;

  before(async () => {
    db = provision('console');
    shots = path.join(db.dir, 'screenshots');
    fs.mkdirSync(shots);
    keys = await generateKeyFile(path.join(db.dir, 'keys'));
    const port = await freePort();
    mysqlPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    url = `${base}/mcp`;
    const config = writeConfig(db, (c) => {
      c.http = { listen: '127.0.0.1', port, resource_url: url };
      c.mysql = { port: mysqlPort };
      c.auth = { oidc: { issuer: ISSUER, jwks_file: keys.publicPath, required_scopes: ['sql'] } };
      c.approvals = {
        store: { type: 'sqlite', path: path.join(db.dir, 'approvals.db') },
        wait_ms: 60000,
        reviewer_groups: ['dba'],
      };
    });
    server = spawn(bin, ['serve', '--http', '--mysql', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr.on('data', (d) => { stderr += d; });
    await waitFor(async () => {
      try { return (await fetch(`${base}/healthz`)).status === 200; } catch { return false; }
    }, `sqlguard on ${base}\n${stderr}`, 15000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((r) => server.on('close', r));
    if (process.env.SQLGUARD_KEEP_SCREENSHOTS && shots && fs.existsSync(shots)) {
      fs.cpSync(shots, process.env.SQLGUARD_KEEP_SCREENSHOTS, { recursive: true });
    }
    db?.cleanup();
  });

  const token = (sub, groups) =>
    mintToken(keys.privatePath, { iss: ISSUER, aud: url, sub, groups, scope: 'sql', azp: 'e2e' });

  test('the console is served with its security headers and loads nothing from elsewhere', async () => {
    const r = await fetch(`${base}/console`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    const audit = await fetch(`${base}/api/audit/sessions`);
    assert.equal(audit.status, 401);
  });

  test('agent call held → reviewer approves in the console → the call completes, recorded and verified', async () => {
    // The agent: alice (analysts) over Streamable HTTP with the official SDK.
    const agentTransport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${await token('alice@example.com', ['analysts'])}` } },
    });
    const agent = new Client({ name: 'e2e-console-agent', version: '1.0.0' });
    await agent.connect(agentTransport);
    const started = Date.now();
    const call = agent.callTool({ name: 'run_sql', arguments: { sql: UPDATE } }, undefined, {
      timeout: 120000, resetTimeoutOnProgress: true,
    });
    let settled = false;
    call.finally(() => { settled = true; }).catch(() => {});

    // The reviewer: bob (dba) in the browser. Every request the page makes must go to sqlguard.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const foreign = [];
    const consoleErrors = [];
    page.on('request', (req) => { if (!req.url().startsWith(base)) foreign.push(req.url()); });
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto(`${base}/console`);
    await page.getByLabel(/Bearer token/).waitFor();
    assert.equal(await page.locator('#identity').isVisible(), false, 'nobody is signed in yet');
    await page.screenshot({ path: path.join(shots, '0-sign-in.png') });
    await page.getByLabel(/Bearer token/).fill(await token('bob@example.com', ['dba']));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who-subject', { hasText: 'bob@example.com' }).waitFor();
    assert.equal(await page.locator('#who-subject').textContent(), 'bob@example.com');
    assert.equal(await page.locator('#who-role').textContent(), 'reviewer');

    // The held request shows up in the pending queue (the page refreshes it every 5 s).
    const card = page.locator('#approvals-list li.card-pending', { hasText: UPDATE });
    await card.waitFor({ timeout: 30000 });
    assert.equal(settled, false, 'the agent call waits for the decision');
    assert.match(await card.textContent(), /alice@example\.com/);
    assert.match(await card.textContent(), /order-updates-need-review/);
    await page.screenshot({ path: path.join(shots, '1-approvals-pending.png'), fullPage: true });
    // The scrape-time gauge counts it (one COUNT query on the store).
    const scrape = async () => (await fetch(`${base}/metrics`, {
      headers: { Authorization: `Bearer ${await token('bob@example.com', ['dba'])}` },
    })).text();
    assert.match(await scrape(), /^sqlguard_approvals_pending 1$/m);

    await card.getByLabel(/Comment/).fill('ship it: ticket OPS-6');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#status', { hasText: /approved/ }).waitFor();
    assert.match(await scrape(), /^sqlguard_approvals_pending 0$/m);

    // The agent's call completes with the update applied.
    const result = await call;
    assert.ok(!result.isError, text(result));
    assert.equal(result.structuredContent.affected_rows, 1, JSON.stringify(result.structuredContent));
    assert.ok(Date.now() - started < 60000);
    assert.equal(db.sql('SELECT status FROM shop.orders WHERE id = 6').trim(), 'shipped');
    await agentTransport.terminateSession().catch(() => {});
    await agent.close();

    // The decided request under "approved" or "used".
    await page.getByLabel('Show', { exact: true }).selectOption('all');
    const decided = page.locator('#approvals-list li.card', { hasText: UPDATE });
    await decided.waitFor();
    assert.match(await decided.textContent(), /bob@example\.com/);
    assert.match(await decided.textContent(), /ship it: ticket OPS-6/);
    await page.screenshot({ path: path.join(shots, '2-approvals-decided.png'), fullPage: true });

    // Sessions: the agent's session timeline shows the request, the decision and the execution.
    await page.getByRole('tab', { name: 'Sessions' }).click();
    const row = page.locator('#sessions-body tr', { hasText: 'alice@example.com' }).first();
    await row.waitFor();
    await row.getByRole('button').click();
    const timeline = page.locator('#timeline-list');
    await timeline.locator('li.event-approval-decision').waitFor();
    const timelineText = await timeline.textContent();
    for (const expected of ['call.intent', 'approval.request', 'approval.decision', 'call.outcome', UPDATE, 'ship it: ticket OPS-6']) {
      assert.ok(timelineText.includes(expected), `timeline shows ${expected}`);
    }
    await page.screenshot({ path: path.join(shots, '3-session-timeline.png'), fullPage: true });

    // Log status: verified.
    await page.getByRole('tab', { name: 'Log status' }).click();
    await page.locator('#verify-result .verdict').waitFor();
    assert.match(await page.locator('#verify-result').textContent(), /audit verify: OK/);
    await page.screenshot({ path: path.join(shots, '4-log-status.png'), fullPage: true });

    assert.deepEqual(foreign, [], 'the console fetches nothing from other origins');
    assert.deepEqual(consoleErrors, [], 'no errors in the browser console');
    await page.close();

    // The audit log on disk: request, decision, then the executed call's intent and outcome.
    const audit = path.join(db.dir, 'audit');
    const records = readTree(audit).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      .sort((a, b) => a.seq - b.seq);
    const request = records.find((r) => r.type === 'approval.request' && r.statement?.text === UPDATE);
    assert.ok(request, 'approval.request recorded');
    assert.equal(request.principal.subject, 'alice@example.com');
    const decision = records.find((r) => r.type === 'approval.decision' && r.approval === request.approval);
    assert.ok(decision, 'approval.decision recorded');
    assert.equal(decision.decision, 'approve');
    assert.equal(decision.approver.subject, 'bob@example.com');
    assert.equal(decision.comment, 'ship it: ticket OPS-6');
    const intents = records.filter((r) => r.type === 'call.intent' && r.statement?.text === UPDATE);
    assert.ok(intents.length >= 1, 'call.intent recorded');
    const executed = records.find((r) => r.type === 'call.outcome' && r.status === 'ok' && r.affected_rows === 1 &&
      intents.some((i) => i.call === r.call));
    assert.ok(executed, 'the executed call has an ok outcome with 1 affected row');
    assert.ok(request.seq < decision.seq && decision.seq < executed.seq, 'request → decision → execution');
    const v = await sqlguard(['audit', 'verify', audit]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout + v.stderr, /audit verify: OK/);
    assert.ok(!stderr.includes(db.password));
  });

  test('a denied statement never runs; data in the page is text, never markup; non-reviewers cannot decide', async () => {
    const hostile = "UPDATE orders SET status='<img src=x onerror=alert(1)>' WHERE id=7";
    const before = db.sql('SELECT status FROM shop.orders WHERE id = 7').trim();
    const agentTransport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${await token('alice@example.com', ['analysts'])}` } },
    });
    const agent = new Client({ name: 'e2e-console-agent', version: '1.0.0' });
    await agent.connect(agentTransport);
    const call = agent.callTool({ name: 'run_sql', arguments: { sql: hostile } }, undefined, {
      timeout: 120000, resetTimeoutOnProgress: true,
    });
    call.catch(() => {});

    // alice herself (not a reviewer) sees her request but gets no decision form and no audit API.
    const own = await browser.newPage();
    await own.goto(`${base}/console`);
    await own.getByLabel(/Bearer token/).fill(await token('alice@example.com', ['analysts']));
    await own.getByRole('button', { name: 'Sign in' }).click();
    await own.locator('#who-role', { hasText: 'not a reviewer' }).waitFor();
    const ownCard = own.locator('#approvals-list li.card-pending', { hasText: hostile });
    await ownCard.waitFor({ timeout: 30000 });
    assert.equal(await ownCard.getByRole('button', { name: 'Approve' }).count(), 0);
    await own.getByRole('tab', { name: 'Sessions' }).click();
    await own.locator('#alert', { hasText: /forbidden/ }).waitFor();
    await own.close();

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    await page.goto(`${base}/console`);
    await page.getByLabel(/Bearer token/).fill(await token('bob@example.com', ['dba']));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const card = page.locator('#approvals-list li.card-pending', { hasText: hostile });
    await card.waitFor({ timeout: 30000 });
    assert.equal(await page.locator('#approvals-list img').count(), 0, 'the statement is shown as text');
    await card.getByLabel(/Comment/).fill('no: not a valid status');
    await card.getByRole('button', { name: 'Deny' }).click();
    await page.locator('#status', { hasText: /denied/ }).waitFor();
    await page.screenshot({ path: path.join(shots, '5-denied.png'), fullPage: true });

    const result = await call;
    assert.equal(result.isError, true, text(result));
    assert.equal(db.sql('SELECT status FROM shop.orders WHERE id = 7').trim(), before, 'the denied statement did not run');
    assert.deepEqual(dialogs, [], 'no script from the data ran');
    await agentTransport.terminateSession().catch(() => {});
    await agent.close();
    await page.close();

    const records = readTree(path.join(db.dir, 'audit')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const request = records.find((r) => r.type === 'approval.request' && r.statement?.text === hostile);
    assert.ok(request);
    const decision = records.find((r) => r.type === 'approval.decision' && r.approval === request.approval);
    assert.equal(decision?.decision, 'deny');
    assert.ok(!records.some((r) => r.type === 'call.outcome' && r.status === 'ok' && r.approval === request.approval));
  });

  test('a MySQL session in the console: held at the front door, approved in the browser, run once, shown as a mysql session', async () => {
    const sql = "UPDATE orders SET status='cancelled' WHERE id=4";
    // carol's OIDC token as the password (mysql_clear_password over loopback). The CLI waits for
    // the decision, as an MCP call does (approvals.wait_ms).
    const carol = await token('carol@example.com', ['analysts']);
    let settled = false;
    const cli = new Promise((resolve) => execFile('mariadb', ['-h', '127.0.0.1', '-P', String(mysqlPort), '-u', 'carol',
      `-p${carol}`, '--skip-ssl', '-B', '-D', 'shop', '-e', sql], { encoding: 'utf8' },
    (err, stdout, stderrText) => { settled = true; resolve({ code: err ? err.code : 0, stdout, stderr: stderrText }); }));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors = [];
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto(`${base}/console`);
    await page.getByLabel(/Bearer token/).fill(await token('bob@example.com', ['dba']));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who-subject', { hasText: 'bob@example.com' }).waitFor();
    const card = page.locator('#approvals-list li.card-pending', { hasText: sql });
    await card.waitFor({ timeout: 30000 });
    assert.equal(settled, false, 'the MySQL client waits for the decision');
    assert.match(await card.textContent(), /carol@example\.com/);
    assert.match(await card.textContent(), /via mysql/, 'the CLI names itself in the connect attributes');
    await page.screenshot({ path: path.join(shots, '5-mysql-approval-pending.png'), fullPage: true });
    await card.getByLabel(/Comment/).fill('cancel per ticket OPS-4');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#status', { hasText: /approved/ }).waitFor();

    const ran = await cli;
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(db.sql('SELECT status FROM shop.orders WHERE id = 4').trim(), 'cancelled');

    // The session list shows carol's MySQL session; its timeline holds request, decision, run.
    await page.getByRole('tab', { name: 'Sessions' }).click();
    const row = page.locator('#sessions-body tr', { hasText: 'carol@example.com' }).first();
    await row.waitFor();
    assert.match(await row.textContent(), /mysql/);
    await row.getByRole('button').click();
    const timeline = page.locator('#timeline-list');
    await timeline.locator('li.event-approval-decision').waitFor();
    const timelineText = await timeline.textContent();
    for (const expected of ['session.start', 'call.intent', 'approval.request', 'approval.decision', 'call.outcome', sql,
      'cancel per ticket OPS-4', '127.0.0.1']) {
      assert.ok(timelineText.includes(expected), `timeline shows ${expected}`);
    }
    await page.screenshot({ path: path.join(shots, '6-mysql-session-timeline.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
    await page.close();
    assert.ok(!stderr.includes(carol), 'the token is never logged');
  });
});
