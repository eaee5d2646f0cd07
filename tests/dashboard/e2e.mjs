// e2e.mjs - drives Debian's chromium (through playwright-core) over the
// dashboard and prints what a visitor sees as JSON, for the C test
// (tests/integration/test_dashboard.c) to compare with the database and
// `leaderboard --json`. It asserts nothing itself: it reports.
//
// Usage: node e2e.mjs SPEC.json > OUT.json, where SPEC is
//   {url, weeks: [W...], expand: {week, model_id}, xss: {week, model_id},
//    model_id, allowed_origins: [...], artifacts: DIR, quick?, empty?, token?}
// quick: the first view and one week only; empty: the first view only;
// token: expect the token form first, and fill it in.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
mkdirSync(spec.artifacts, { recursive: true });
const out = { weeks: {}, requests: [], page_errors: [], console_errors: [], dialogs: [] };

const browser = await chromium.launch({
  executablePath: process.env.CB_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
page.on("request", (r) => out.requests.push(r.url()));
page.on("pageerror", (e) => out.page_errors.push(String(e)));
page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
page.on("dialog", (d) => {
  out.dialogs.push(d.message());
  d.dismiss();
});
page.setDefaultTimeout(20000);

// Waits until the view of the current location has finished loading (the
// page marks which route it shows), not merely the previous one.
const settled = () =>
  page.waitForFunction(() => {
    const main = document.getElementById("main");
    return main.dataset.route === (location.hash || "#/") && !main.hasAttribute("aria-busy");
  });
const shot = (name) => page.screenshot({ path: `${spec.artifacts}/${name}.png`, fullPage: true });

try {
  tour: {
    await page.goto(spec.url);
    await settled();
    if (spec.token) {
      out.token_form = await page.locator("form.token").isVisible();
      out.token_message = await page.locator(".error p").first().textContent();
      await shot("token-form");
      await page.fill("form.token input", spec.token);
      await page.click("form.token button");
      await page.waitForFunction(() => !document.querySelector("form.token"));
      await settled();
    }
    out.first_view = await page.evaluate(() => ({
      empty: document.querySelector("section.empty h2")?.textContent || null,
      week: document.getElementById("week")?.value || null,
      rows: document.querySelectorAll("tr.board-row").length,
      options: Array.from(document.querySelectorAll("#week option"), (o) => ({ value: o.value, label: o.textContent })),
    }));

    if (spec.empty) break tour;
    for (const week of spec.quick ? [spec.weeks[0]] : spec.weeks) {
      await page.selectOption("#week", week);
      await page.waitForFunction((w) => location.hash === "#/week/" + w, week);
      await settled();
      out.weeks[week] = await page.evaluate(() => ({
        heading: document.querySelector(".summary h2")?.textContent,
        notice: document.querySelector(".notice")?.textContent || null,
        counts: Object.fromEntries(Array.from(document.querySelectorAll("[data-count]"), (e) => [e.dataset.count, e.textContent])),
        puzzle_links: Array.from(document.querySelectorAll("ul.puzzles a"), (a) => a.href),
        rows: Array.from(document.querySelectorAll("tr.board-row"), (tr) => ({
          rank: Number(tr.dataset.rank),
          model_id: tr.dataset.modelId,
          model: tr.querySelector(".model-name").textContent,
          correct: tr.querySelector(".correct").textContent,
          accuracy: tr.querySelector(".accuracy").textContent,
          movement: tr.querySelector("[data-movement]")?.dataset.movement,
          rank_range: tr.querySelector(".rank-range")?.textContent || null,
          rank_lo: Number(tr.dataset.rankLo),
          rank_hi: Number(tr.dataset.rankHi),
          group: Number(tr.dataset.group),
          move_muted: !!tr.querySelector(".move.muted"),
          ci_bar: !!tr.querySelector(".ci-range"),
          before_release: tr.querySelector(".before-release")?.textContent || null,
        })),
        range_note: !!document.querySelector(".range-note"),
        tenure_significant: Array.from(document.querySelectorAll("[data-significant-weeks]"), (e) => Number(e.dataset.significantWeeks)),
        incomplete: Array.from(document.querySelectorAll("tr.incomplete-row"), (tr) => ({
          model_id: tr.dataset.modelId,
          stopped_by: tr.querySelector(".error-text").textContent,
        })),
      }));
      await shot("week-" + week);
    }

    if (spec.quick) break tour;
    // One row opened with the mouse, the next with the keyboard.
    async function expand(week, modelId, how) {
      await page.goto(spec.url + "#/week/" + week);
      await settled();
      const row = page.locator(`tr.board-row[data-model-id="${modelId}"]`);
      if (how === "keyboard") {
        await row.focus();
        await page.keyboard.press("Enter");
      } else {
        await row.click({ position: { x: 5, y: 5 } });
      }
      const detail = row.locator("xpath=following-sibling::tr[1]");
      await detail.locator("tr.result").first().waitFor();
      return {
        expanded: await row.getAttribute("aria-expanded"),
        rows: await detail.locator("tr.result").evaluateAll((trs) =>
          trs.map((tr) => ({
            clue_id: Number(tr.dataset.clueId),
            outcome: tr.dataset.outcome,
            clue: tr.querySelector(".clue-text").textContent,
            enumeration: tr.querySelector(".enumeration").textContent,
            setter: tr.querySelector(".setter").textContent,
            answer: tr.querySelector(".answer").textContent,
            model_answer: tr.querySelector(".model-answer-text").textContent,
            explanation: tr.querySelector(".explanation").textContent,
            before_release: !!tr.querySelector(".seen-badge"),
            rule: tr.querySelector(".extract-rule .rule")?.textContent ?? null,
          })),
        ),
      };
    }
    out.expanded = await expand(spec.expand.week, spec.expand.model_id, "mouse");
    await shot("expanded");
    out.keyboard = await expand(spec.xss.week, spec.xss.model_id, "keyboard");
    out.xss = await page.evaluate(() => ({
      fired: window.__xss === undefined ? null : window.__xss,
      images: document.querySelectorAll("main img").length,
      scripts: document.querySelectorAll("main script").length,
    }));
    await shot("xss");

    await page.goto(spec.url + "#/model/" + encodeURIComponent(spec.model_id));
    await settled();
    await page.locator("svg.chart").first().waitFor();
    out.model = await page.evaluate(() => ({
      heading: document.querySelector("main h2")?.textContent,
      charts: document.querySelectorAll("svg.chart").length,
      points: Array.from(document.querySelectorAll("svg.chart"), (svg) => svg.querySelectorAll("circle.dot").length),
      whiskers: document.querySelectorAll("svg.chart line.whisker").length,
      history_rows: document.querySelectorAll("table.history tbody tr").length,
      quality: Array.from(document.querySelectorAll("tr.quality-row"), (tr) => ({
        week: tr.dataset.week,
        wrong_length_rate: tr.querySelector(".wrong-length-rate").textContent,
        no_answer_rate: tr.querySelector(".no-answer-rate").textContent,
        error_rate: tr.querySelector(".error-rate").textContent,
        avg_completion_tokens: tr.querySelector(".avg-completion-tokens").textContent,
      })),
      types: Array.from(document.querySelectorAll("tr.type-row"), (tr) => ({
        type: tr.dataset.type,
        correct: tr.querySelector(".type-correct").textContent,
      })),
    }));
    await shot("model");

    await page.goto(spec.url + "#/all-time");
    await settled();
    out.alltime = await page.evaluate(() =>
      Array.from(document.querySelectorAll("tr.alltime-row"), (tr) => ({
        model_id: tr.dataset.modelId,
        rank: Number(tr.querySelector(".rank .rank-badge").textContent),
        rank_lo: Number(tr.dataset.rankLo),
        rank_hi: Number(tr.dataset.rankHi),
        correct: tr.querySelector(".correct").textContent,
      })),
    );
    out.head_to_head = await page.evaluate(() => ({
      cells: document.querySelectorAll("table.h2h td.h2h-cell").length,
      significant: document.querySelectorAll("table.h2h td.h2h-cell.significant").length,
      first: document.querySelector("table.h2h td.h2h-cell")?.textContent || null,
    }));
    out.scatter = await page.evaluate(() =>
      Array.from(document.querySelectorAll("svg.scatter"), (svg) => ({
        title: svg.querySelector("title")?.textContent,
        dots: svg.querySelectorAll("circle.dot").length,
        labels: Array.from(svg.querySelectorAll("text.point-label"), (t) => t.textContent),
      })),
    );
    out.type_matrix = await page.evaluate(() =>
      Array.from(document.querySelectorAll("tr.type-model-row"), (tr) => ({
        model_id: tr.dataset.modelId,
        cells: Array.from(tr.querySelectorAll("td.type-cell"), (td) => ({ type: td.dataset.type, accuracy: td.textContent })),
      })),
    );
    await shot("all-time");

    await page.goto(spec.url + "#/runs");
    await settled();
    out.runs = await page.evaluate(() => ({
      heading: document.querySelector("main h2")?.textContent,
      rows: Array.from(document.querySelectorAll("tr.run-row"), (tr) => tr.dataset.runId),
    }));
    await shot("runs");
    if (out.runs.rows.length) {
      await page.locator("tr.run-row a").first().click();
      await settled();
      out.run = await page.evaluate(() => ({
        hash: location.hash,
        steps: document.querySelectorAll("tr.step-row").length,
        heading: document.querySelector("main h2")?.textContent,
      }));
      await shot("run");
    }

    // Phone width: nothing wider than the screen outside the scrolling tables.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(spec.url + "#/week/" + spec.weeks[0]);
    await settled();
    out.phone = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      rows: document.querySelectorAll("tr.board-row").length,
    }));
    await shot("phone");
    await page.goto(spec.url + "#/all-time");
    await settled();
    out.phone_alltime = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      scatter_widths: Array.from(document.querySelectorAll("svg.scatter"), (svg) => svg.getBoundingClientRect().width),
      rows: document.querySelectorAll("tr.alltime-row").length,
    }));
    await shot("phone-all-time");
  }
} catch (e) {
  out.failure = String(e && e.stack ? e.stack : e);
  await shot("failure").catch(() => {});
} finally {
  await browser.close();
}
out.external = out.requests.filter((u) => !u.startsWith("data:") && !spec.allowed_origins.includes(new URL(u).origin));
process.stdout.write(JSON.stringify(out) + "\n");
