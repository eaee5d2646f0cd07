// bench_dashboard.mjs - cold loads of the dashboard in headless chromium:
// time from navigation start to the first leaderboard row in the DOM (on
// the page's own clock), and the bytes transferred for the first view
// (response headers and bodies as sent, until the view has loaded). In the
// same run, alternating with those loads, the same browser loads a static
// HTML page holding just that row (its markup taken from the dashboard,
// served from a file server in this process), timed the same way; the
// ratio of the medians is the figure (absolute times on a shared machine
// are not stable). Each load gets a fresh browser context: no cache, no
// storage. Targets: ratio at most 1.5, at most 125 KB transferred.
// Usage: node bench/bench_dashboard.mjs URL [LOADS]   (bench_dashboard.sh starts the server)
import { createRequire } from "node:module";
import { createServer } from "node:http";

const require = createRequire(new URL("../tests/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [url, loadsArg] = process.argv.slice(2);
const loads = Number(loadsArg || 10);

const browser = await chromium.launch({
  executablePath: process.env.CB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});

// One cold load: ms from navigation start to the first tr.board-row, bytes,
// requests, and the row's markup.
async function load(target, waitForView) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  // Marks the moment the first row is inserted, on the page's own clock.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector("tr.board-row")) {
        window.__firstRow = performance.now();
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  let transferred = 0;
  let count = 0;
  cdp.on("Network.loadingFinished", (e) => {
    transferred += e.encodedDataLength;
    count++;
  });
  await page.goto(target);
  await page.waitForSelector("tr.board-row");
  if (waitForView)
    await page.waitForFunction(() => {
      const main = document.getElementById("main");
      return main.dataset.route && !main.hasAttribute("aria-busy");
    });
  const ms = await page.evaluate(() => window.__firstRow);
  const row = await page.evaluate(() => document.querySelector("tr.board-row").outerHTML);
  await context.close();
  return { ms, bytes: transferred, requests: count, row };
}

let staticPage = "";
const files = createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
  res.end(staticPage);
});
await new Promise((resolve) => files.listen(0, "127.0.0.1", resolve));
const staticUrl = `http://127.0.0.1:${files.address().port}/`;

const dash = [];
const plain = [];
for (let i = 0; i < loads; i++) {
  const d = await load(url, true);
  dash.push(d);
  staticPage = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>one row</title></head>` +
    `<body><table><tbody>${d.row}</tbody></table></body></html>`;
  plain.push(await load(staticUrl, false));
}
await browser.close();
files.close();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const times = dash.map((d) => d.ms);
const staticTimes = plain.map((d) => d.ms);
const bytes = median(dash.map((d) => d.bytes));
const ratio = median(times) / median(staticTimes);
console.log(`loads: ${loads} cold each (fresh context, cache disabled), dashboard and a static one-row page alternating`);
console.log(`dashboard, navigation to first leaderboard row: median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
console.log(`static page with that row:                     median ${median(staticTimes).toFixed(1)} ms, min ${Math.min(...staticTimes).toFixed(1)} ms, max ${Math.max(...staticTimes).toFixed(1)} ms`);
console.log(`ratio ${ratio.toFixed(2)}x (target: at most 1.5x)`);
console.log(`transferred for the first view: median ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) in ${median(dash.map((d) => d.requests))} requests (target: at most 125 KB)`);
