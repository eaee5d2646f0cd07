// cross_origin.mjs - a page on another origin, in Debian's chromium
// (through playwright-core), tries to read the SQL endpoint, /api/runs and
// /metrics of a running serve and to queue an event through the visitor's
// browser. It prints what the page managed as JSON, for
// tests/security/test_security.c to judge; it asserts nothing itself.
//
// Usage: node cross_origin.mjs PAGE_URL SERVE_URL
import { chromium } from "playwright-core";

const [pageUrl, serveUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(pageUrl);
  const out = await page.evaluate(async (base) => {
    const out = {};
    const sql = JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT count(*) AS n FROM models" } }] });
    const attempt = async (name, url, init) => {
      try {
        const r = await fetch(url, init);
        out[name] = { status: r.status, body: await r.text() };
      } catch (e) {
        out[name] = { error: String(e) };
      }
    };
    await attempt("sql_json", base + "/v2/pipeline", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: sql,
    });
    await attempt("sql_simple", base + "/v2/pipeline", {
      method: "POST", headers: { "Content-Type": "text/plain" }, body: sql,
    });
    await attempt("runs", base + "/api/runs", {});
    await attempt("metrics", base + "/metrics", {});
    const event = JSON.stringify({ name: "benchmark/evaluate.requested", data: { week_id: "2026-W30" } });
    for (const key of ["local", "anything"]) {
      await attempt("event_" + key, base + "/e/" + key, {
        method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: event,
      });
    }
    return out;
  }, serveUrl);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
