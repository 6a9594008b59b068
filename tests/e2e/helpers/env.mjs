// Shared helpers for the end-to-end tests: a private MariaDB with the demo dataset
// (scripts/provision-db), a config with absolute paths, and the official MCP SDK client.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const root = process.env.SQLGUARD_SOURCE_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = process.env.SQLGUARD_BIN ?? path.join(root, 'build', 'sqlguard');

/** Provisions a private MariaDB under a fresh temp dir; returns {dir, socket, password}. */
export function provision(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sg-${name}-`));
  execFileSync(path.join(root, 'scripts', 'provision-db'), [dir, bin], { stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    dir,
    socket: path.join(dir, 'db', 'mysqld.sock'),
    password: fs.readFileSync(path.join(dir, 'db-password'), 'utf8').trim(),
    stop() { execFileSync(path.join(root, 'scripts', 'mariadb-sandbox'), ['stop', path.join(dir, 'db')]); },
    start() { execFileSync(path.join(root, 'scripts', 'mariadb-sandbox'), ['start', path.join(dir, 'db')], { stdio: 'ignore' }); },
    sql(statement) {
      return execFileSync(path.join(root, 'scripts', 'mariadb-sandbox'), ['sql', path.join(dir, 'db'), '-N', '-B', '-e', statement], { encoding: 'utf8' });
    },
    cleanup() { try { this.stop(); } catch {} fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Writes a config based on examples/demo/sqlguard.yaml with every path pointing into `db.dir`.
 *  `edit(config)` may change the parsed document before it is written. Returns its path. */
export function writeConfig(db, edit = () => {}) {
  const config = YAML.parse(fs.readFileSync(path.join(root, 'examples', 'demo', 'sqlguard.yaml'), 'utf8'));
  config.database.socket = db.socket;
  config.database.password_file = path.join(db.dir, 'db-password');
  config.masking.hash_key_file = path.join(db.dir, 'masking.key');
  config.audit.dir = path.join(db.dir, 'audit');
  config.audit.signing_key_file = path.join(db.dir, 'audit-ed25519.key');
  edit(config);
  const file = path.join(db.dir, `sqlguard-${Math.random().toString(36).slice(2, 8)}.yaml`);
  fs.writeFileSync(file, YAML.stringify(config));
  return file;
}

/** Connects the official SDK client over stdio; stderr of the server is collected in `stderr()`. */
export async function connect(configFile, { clientName = 'e2e', env = {} } = {}) {
  const transport = new StdioClientTransport({
    command: bin,
    args: ['serve', '--stdio', '--config', configFile],
    env: { ...env, PATH: process.env.PATH },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: clientName, version: '9.9.9' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/** Text of a CallToolResult. */
export const text = (res) => res.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

/** Runs `sqlguard` with args; returns {status, stdout, stderr}. */
export function sqlguard(args) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under `dir`, concatenated (for leak checks). */
export function readTree(dir) {
  let out = '';
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += fs.readFileSync(path.join(entry.parentPath ?? entry.path, entry.name), 'latin1');
  }
  return out;
}

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
