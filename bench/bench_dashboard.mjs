// bench_dashboard.mjs - cold loads of the dashboard in headless chromium:
// time from navigation start to the first leaderboard row on screen, and
// the bytes transferred for it (response headers and bodies as sent).
// Each load gets a fresh browser context: no cache, no storage.
// Usage: node bench/bench_dashboard.mjs URL [LOADS]   (bench_dashboard.sh starts the server)
import { createRequire } from "node:module";

const require = createRequire(new URL("../tests/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [url, loadsArg] = process.argv.slice(2);
const loads = Number(loadsArg || 10);

const browser = await chromium.launch({
  executablePath: process.env.CB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const times = [];
const bytes = [];
const requests = [];
for (let i = 0; i < loads; i++) {
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
  await page.goto(url);
  await page.waitForSelector("tr.board-row");
  await page.waitForFunction(() => !document.getElementById("main").hasAttribute("aria-busy"));
  times.push(await page.evaluate(() => window.__firstRow));
  bytes.push(transferred);
  requests.push(count);
  await context.close();
}
await browser.close();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`loads: ${loads} cold (fresh context each, cache disabled)`);
console.log(`navigation to first leaderboard row: median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
console.log(`transferred: median ${median(bytes)} bytes (${(median(bytes) / 1024).toFixed(1)} KiB) in ${median(requests)} requests`);
