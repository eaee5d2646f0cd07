// Runs SQL read statements through the official @libsql/client (its web
// build: plain fetch, the wire format Turso and our endpoint speak) and
// prints the rows as JSON, one result per statement, then the same
// statements again as one client.batch([...], "read").
// Usage: node reads.mjs URL [TOKEN] < statements.json   (a JSON array of SQL)
import { createClient } from "@libsql/client/web";
import { readFileSync } from "node:fs";

const [url, authToken] = process.argv.slice(2);
const statements = JSON.parse(readFileSync(0, "utf8"));
const client = createClient({ url, authToken });
const rows = (rs) => rs.rows.map((r) => Array.from(r, (v) => (v === null ? null : String(v))));
const single = [];
for (const sql of statements) single.push(rows(await client.execute(sql)));
const batch = (await client.batch(statements, "read")).map(rows);
process.stdout.write(JSON.stringify({ single, batch }) + "\n");
