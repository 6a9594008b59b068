// A scripted MCP session against sqlguard, using the official MCP TypeScript SDK client over
// stdio, as an agent (Claude Desktop, VS Code, ...) would drive it.
//   node examples/demo/demo-session.mjs SQLGUARD_BIN CONFIG
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [bin, config] = process.argv.slice(2);
if (!bin || !config) {
  console.error('usage: demo-session.mjs SQLGUARD_BIN CONFIG');
  process.exit(2);
}

const transport = new StdioClientTransport({ command: bin, args: ['serve', '--stdio', '--config', config], stderr: 'ignore' });
const client = new Client({ name: 'sqlguard-demo', version: '1.0.0' });
await client.connect(transport);
const server = client.getServerVersion();
console.log(`connected to ${server.name} ${server.version} (MCP over stdio)`);

const { tools } = await client.listTools();
console.log(`tools: ${tools.map((t) => t.name).join(', ')}`);

async function step(title, name, args) {
  console.log(`\n=== ${title}`);
  console.log(`> ${name} ${JSON.stringify(args)}`);
  const res = await client.callTool({ name, arguments: args });
  const text = res.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  console.log((res.isError ? 'REFUSED/ERROR: ' : '') + text.trimEnd());
  return res;
}

await step('1. list_tables', 'list_tables', {});
await step('2. describe_table (masked columns are flagged)', 'describe_table', { table: 'customers' });
await step('3. an allowed SELECT', 'run_sql', {
  sql: 'SELECT p.category, COUNT(*) AS orders, SUM(o.total) AS revenue FROM orders o JOIN products p ON p.id = o.product_id GROUP BY p.category ORDER BY revenue DESC',
});
await step('4. a result with masked PII columns', 'run_sql', {
  sql: 'SELECT id, name, email, phone, ssn, card_number, city FROM customers ORDER BY id LIMIT 5',
});
await step('5. a masked column inside a function is refused', 'run_sql', {
  sql: 'SELECT name, UPPER(email) FROM customers',
});
await step('6. a refused DROP TABLE', 'run_sql', { sql: 'DROP TABLE customers' });
await step('7. a stacked statement is refused', 'run_sql', { sql: "SELECT 1; DROP TABLE customers" });

await client.close();
