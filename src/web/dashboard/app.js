// app.js - the leaderboard dashboard: a hash router and one view per page.
// Every number shown comes from the tables rank/ writes (weekly_rankings,
// week_status, week_coverage, alltime_rankings, alltime_quality,
// rank_tenure) or the flow tables; nothing is recomputed here. Every
// database string reaches the page through h() as a text node: there is no
// innerHTML anywhere in this file.

import { config } from "./config.js";
import { createClient, DbError } from "./hrana.js";
import { lineChart, scatterChart } from "./chart.js";

const TOKEN_KEY = "cryptic-bench-read-token";
const main = document.getElementById("main");
let client = newClient();
let navigation = 0; // a newer navigation makes older answers stale
let shown = ""; // the route whose view is being loaded

function newClient() {
  let token = config.token || "";
  try {
    token = token || localStorage.getItem(TOKEN_KEY) || "";
  } catch (e) {
    // storage can be off (private mode); then a token lives for this page only
  }
  return createClient({ db: config.db, token, tokenHeader: config.token_header || "Authorization" });
}

// h("tag.class", {attr: value, onclick: fn}, children...): an element whose
// string children become text nodes.
function h(spec, props, ...children) {
  const [tag, ...classes] = spec.split(".");
  const e = document.createElement(tag);
  if (classes.length) e.className = classes.join(" ");
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  main.removeAttribute("aria-busy");
  // Which route is on screen: lets a test (or a script) wait for this view and not the last one.
  main.dataset.route = shown;
}

function loading(what) {
  main.setAttribute("aria-busy", "true");
  // The leaderboard the server put into the page (src/web/firstrow.c) stays
  // on screen until this view replaces it.
  if (shown === "#/" && main.querySelector(".first-view")) return;
  main.replaceChildren(h("p.loading", { role: "status" }, "Loading " + what + "…"));
}

function failed(error, retry) {
  if (error instanceof DbError && (error.status === 401 || error.status === 403)) {
    const input = h("input", { type: "password", name: "token", autocomplete: "off", "aria-label": "read token" });
    const form = h(
      "form.token",
      {
        onsubmit: (ev) => {
          ev.preventDefault();
          try {
            localStorage.setItem(TOKEN_KEY, input.value.trim());
          } catch (e) {
            config.token = input.value.trim();
          }
          client = newClient();
          retry();
        },
      },
      h("label", {}, "Read token ", input),
      h("button", { type: "submit" }, "Use token"),
    );
    show(h("div.error", { role: "alert" }, h("p", {}, "The database wants a read token: " + error.message), form));
    return;
  }
  show(
    h(
      "div.error",
      { role: "alert" },
      h("p", {}, error.message || String(error)),
      h("button", { type: "button", onclick: retry }, "Try again"),
    ),
  );
}

// ---- formatting -----------------------------------------------------------

function weekLabel(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(week || "");
  return m ? `Week ${Number(m[2])}, ${m[1]}` : String(week);
}

// One decimal, a half rounded up (6.25 -> 6.3), as the command line does
// (src/core/pct.h); toFixed alone rounds the binary value.
const pct = (v) => (v === null || v === undefined ? "—" : `${(Math.round(Number(v) * 10) / 10).toFixed(1)}%`);

function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60000).toFixed(1)} min`;
}

function money(v) {
  if (v === null || v === undefined) return "—";
  return v < 0.01 && v > 0 ? `$${v.toFixed(4)}` : `$${v.toFixed(2)}`;
}

function when(ms) {
  if (!ms) return "—";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

// Long provider errors (whole JSON bodies) shortened; the full text stays in a tooltip.
function clip(text, n) {
  if (!text) return text;
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

function safeHref(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function rankBadge(rank) {
  const medal = rank === 1 ? "gold" : rank === 2 ? "silver" : rank === 3 ? "bronze" : "plain";
  return h("span.rank-badge." + medal, { "aria-label": `rank ${rank}` }, String(rank));
}

function providerBadge(provider) {
  return h("span.provider", { "data-provider": String(provider || "").toLowerCase() }, provider || "?");
}

function movement(row) {
  if (row.previous_rank === null || row.previous_rank === undefined)
    return h("span.move.new", { "data-movement": "new" }, "NEW");
  if (row.rank_change > 0) return h("span.move.up", { "data-movement": `up ${row.rank_change}`, title: `up ${row.rank_change}` }, `▲ ${row.rank_change}`);
  if (row.rank_change < 0) return h("span.move.down", { "data-movement": `down ${-row.rank_change}`, title: `down ${-row.rank_change}` }, `▼ ${-row.rank_change}`);
  return h("span.move.same", { "data-movement": "unchanged", title: "unchanged" }, "=");
}

function tenure(rank, weeks) {
  if (!weeks) return null;
  const crown = rank === 1 && weeks >= 3 ? h("span.crown", { title: `${weeks} weeks at #1` }, "♛ ") : null;
  return h("span.tenure", {}, crown, `${weeks} ${weeks === 1 ? "week" : "weeks"} at #${rank}`);
}

// A shared scale for the interval bars of one table: whole tens around all rows.
function ciScale(rows) {
  const lows = rows.map((r) => r.ci_low).filter((v) => v !== null && v !== undefined);
  const highs = rows.map((r) => r.ci_high).filter((v) => v !== null && v !== undefined);
  if (!lows.length) return { lo: 0, hi: 100 };
  return { lo: Math.floor(Math.min(...lows) / 10) * 10, hi: Math.min(100, Math.ceil(Math.max(...highs) / 10) * 10) || 100 };
}

function ciBar(row, scale) {
  const span = scale.hi - scale.lo || 1;
  const at = (v) => `${Math.max(0, Math.min(100, ((v - scale.lo) / span) * 100))}%`;
  const bar = h("span.ci-range");
  const dot = h("span.ci-dot");
  if (row.ci_low !== null && row.ci_high !== null) {
    bar.style.left = at(row.ci_low);
    bar.style.width = `calc(${at(row.ci_high)} - ${at(row.ci_low)})`;
  }
  dot.style.left = at(row.accuracy);
  return h(
    "span.ci",
    { title: `95% interval ${pct(row.ci_low)} – ${pct(row.ci_high)}`, "aria-label": `95% interval ${pct(row.ci_low)} to ${pct(row.ci_high)}` },
    bar,
    dot,
  );
}

function ciAxis(scale) {
  return h("span.ci-axis", {}, h("span", {}, `${scale.lo}%`), h("span", {}, `${scale.hi}%`));
}

// ---- rank ranges and significance (issue 16) ---------------------------------

const RANGE_NOTE =
  "The range after each rank is every rank the data supports: models are compared two at a time on the clues both " +
  "answered (exact McNemar test, p < 0.05). Models whose ranges overlap, shaded alike, cannot be told apart.";

function hasRange(row) {
  return row.rank_lo !== null && row.rank_lo !== undefined && row.rank_hi !== null && row.rank_hi !== undefined;
}

function rankWithRange(row) {
  const badge = rankBadge(row.rank);
  if (!hasRange(row)) return badge;
  return h(
    "span.ranked",
    {},
    badge,
    h(
      "span.rank-range",
      { title: `the data supports ranks ${row.rank_lo} to ${row.rank_hi}`, "aria-label": `possible ranks ${row.rank_lo} to ${row.rank_hi}` },
      `(${row.rank_lo}–${row.rank_hi})`,
    ),
  );
}

// Consecutive rows whose ranges overlap the previous row's share a group.
function rangeGroups(rows) {
  let group = 0;
  return rows.map((row, i) => {
    if (i > 0 && !(hasRange(row) && hasRange(rows[i - 1]) && row.rank_lo <= rows[i - 1].rank_hi)) group++;
    return group;
  });
}

// Mutes a movement arrow the data does not support (Fisher exact test on the two weeks' results).
function significantMove(row, el) {
  if (row.previous_rank === null || row.previous_rank === undefined || row.move_significant === null || row.move_significant === undefined)
    return el;
  el.dataset.significant = row.move_significant ? "true" : "false";
  if (!row.move_significant) {
    el.classList.add("muted");
    el.title = `${el.title || ""} (not a significant change)`.trim();
  }
  return el;
}

function significantTenure(t) {
  if (t.significant_weeks === null || t.significant_weeks === undefined) return null;
  const next = t.rank_position === 1 ? "#2" : "the next rank";
  return h("span.tenure-significant", { "data-significant-weeks": t.significant_weeks }, ` · significantly ahead of ${next} in ${t.significant_weeks} of them`);
}

function headToHead(rows, cells) {
  if (rows.length < 2) return null;
  const at = new Map(cells.map((c) => [`${c.model}\n${c.opponent}`, c]));
  return h(
    "section.head-to-head",
    {},
    h("h3", {}, "Head to head"),
    h("p.hint", {}, "Wins–losses on the clues both models answered (row model against column model); ties in the tooltip. Bold: a significant difference (exact McNemar test, p < 0.05)."),
    h(
      "div.scroll",
      {},
      h(
        "table.h2h",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), rows.map((r) => h("th", { scope: "col", title: r.display_name }, clip(r.display_name, 12))))),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, r.display_name),
              rows.map((o) => {
                const c = at.get(`${r.openrouter_id}\n${o.openrouter_id}`);
                if (!c) return h("td.h2h-self", {}, "—");
                return h(
                  "td.h2h-cell" + (c.significant ? ".significant" : ""),
                  { title: `${r.display_name} v ${o.display_name}: ${c.wins} wins, ${c.losses} losses, ${c.ties} ties (p = ${Number(c.p_value).toPrecision(2)})`, "data-significant": c.significant ? "true" : "false" },
                  `${c.wins}–${c.losses}`,
                );
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

// Accuracy against cost per clue and against median latency (all time), for the models that report them.
function costCharts(rows) {
  const known = (v) => v !== null && v !== undefined;
  const short = (name) => clip(name, 16);
  const costs = rows.filter((r) => known(r.cost_per_clue) && r.cost_per_clue > 0);
  const speeds = rows.filter((r) => known(r.median_latency_ms));
  if (!costs.length && !speeds.length) return null;
  const point = (r, x, what) => ({
    x,
    y: r.accuracy,
    lo: r.ci_low,
    hi: r.ci_high,
    label: short(r.display_name),
    tip: `${r.display_name}: ${pct(r.accuracy)} (${pct(r.ci_low)}–${pct(r.ci_high)}), ${what}`,
  });
  const cents = (v) => (v >= 1 ? `$${v}` : `${+(v * 100).toPrecision(2)}¢`);
  return h(
    "section.cost-speed",
    {},
    h("h3", {}, "Accuracy against cost and speed"),
    h("p.hint", {}, "All time: each dot a model with its 95% interval; cost per clue on a log scale (as the API reported it), latency the median of its calls."),
    h(
      "div.charts",
      {},
      costs.length
        ? scatterChart(costs.map((r) => point(r, r.cost_per_clue, `${cents(r.cost_per_clue)} per clue`)), {
            title: "Accuracy against cost per clue",
            xTitle: "cost per clue (log scale)",
            yTitle: "accuracy",
            xLog: true,
            xFormat: cents,
          })
        : null,
      speeds.length
        ? scatterChart(speeds.map((r) => point(r, r.median_latency_ms / 1000, `median ${duration(r.median_latency_ms)}`)), {
            title: "Accuracy against median latency",
            xTitle: "median latency (s)",
            yTitle: "accuracy",
            xFormat: (v) => `${+v.toPrecision(2)}s`,
          })
        : null,
    ),
  );
}

// Wordplay types in the order of src/rank/cluetype.h, as shown.
const CLUE_TYPES = [
  ["anagram", "Anagram"], ["hidden", "Hidden word"], ["charade", "Charade"], ["container", "Container"],
  ["reversal", "Reversal"], ["homophone", "Homophone"], ["deletion", "Deletion"], ["double_definition", "Double definition"],
  ["cryptic_definition", "Cryptic definition"], ["and_lit", "&lit"], ["other", "Other"], ["unknown", "Unknown (no explanation)"],
];
const typeLabel = (t) => (CLUE_TYPES.find(([k]) => k === t) || [t, t])[1];
const typeOrder = (t) => CLUE_TYPES.findIndex(([k]) => k === t);

// One model's accuracy by clue type (all time, its ranked weeks).
function typeSection(rows) {
  if (!rows.length) return null;
  rows = rows.slice().sort((a, b) => typeOrder(a.clue_type) - typeOrder(b.clue_type));
  return h(
    "section.clue-types",
    {},
    h("h3", {}, "Accuracy by clue type"),
    h("p.hint", {}, "All time, over the clues of its ranked weeks; types read from the blog's explanation (a clue may have several)."),
    h(
      "div.scroll",
      {},
      h(
        "table.types",
        {},
        h("thead", {}, h("tr", {}, ["Clue type", "Correct", "Accuracy", "95% interval"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr.type-row",
              { "data-type": r.clue_type },
              h("td", {}, typeLabel(r.clue_type)),
              h("td.type-correct", {}, `${r.correct}/${r.total}`),
              h("td.type-accuracy", {}, pct(r.accuracy)),
              h("td", {}, `${pct(r.ci_low)} – ${pct(r.ci_high)}`),
            ),
          ),
        ),
      ),
    ),
  );
}

// Clue type × model on the all-time page: accuracy, with the count in the tooltip.
function typeMatrix(models, rows) {
  if (!rows.length) return null;
  const types = CLUE_TYPES.map(([k]) => k).filter((k) => rows.some((r) => r.clue_type === k));
  const at = new Map(rows.map((r) => [`${r.openrouter_id}\n${r.clue_type}`, r]));
  return h(
    "section.type-matrix",
    {},
    h("h3", {}, "Accuracy by clue type"),
    h("p.hint", {}, "Per model over the clues of its ranked weeks; hover for the count and the 95% interval."),
    h(
      "div.scroll",
      {},
      h(
        "table.type-model",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Model"), types.map((t) => h("th", { scope: "col" }, typeLabel(t))))),
        h(
          "tbody",
          {},
          models.map((m) =>
            h(
              "tr.type-model-row",
              { "data-model-id": m.openrouter_id },
              h("th", { scope: "row" }, m.display_name),
              types.map((t) => {
                const r = at.get(`${m.openrouter_id}\n${t}`);
                return r
                  ? h("td.type-cell", { "data-type": t, title: `${r.correct}/${r.total}, 95% interval ${pct(r.ci_low)} – ${pct(r.ci_high)}` }, pct(r.accuracy))
                  : h("td", {}, "—");
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- queries (read-only; the same SQL works on the embedded endpoint, sqld and Turso) ----

// The week shown when none is asked for: the newest ranked, else the newest with clues.
const WEEK = "coalesce(?, (SELECT max(week_id) FROM week_status WHERE status = 'ranked'), (SELECT max(week_id) FROM puzzles))";

// Reads that join evaluations to a week go puzzles -> clues -> evaluations
// (CROSS JOIN fixes SQLite's join order): a week's few clues, then each
// one's evaluation by (clue, model), instead of every evaluation of a model
// (all weeks), which the planner picks without statistics and which grows
// with every week the benchmark runs (bench/bench_scale.py).
const Q = {
  // Newest first, at most ? weeks (-1: all): the selector loads older weeks on demand.
  weeks: `SELECT p.week_id, count(DISTINCT p.id) AS puzzles, count(c.id) AS clues, s.status, s.reason
          FROM puzzles p JOIN clues c ON c.puzzle_id = p.id LEFT JOIN week_status s ON s.week_id = p.week_id
          GROUP BY p.week_id ORDER BY p.week_id DESC LIMIT ?`,
  week: `SELECT ${WEEK} AS week_id,
                (SELECT status FROM week_status WHERE week_id = ${WEEK}) AS status,
                (SELECT reason FROM week_status WHERE week_id = ${WEEK}) AS reason,
                (SELECT models_ranked FROM week_status WHERE week_id = ${WEEK}) AS models_ranked`,
  board: `SELECT r.rank, m.display_name, m.openrouter_id, m.provider, r.correct_count, r.total_clues, r.accuracy,
                 r.ci_low, r.ci_high, r.previous_rank, r.rank_change, r.tenure_weeks, r.avg_latency_ms, r.cost,
                 m.release_date, r.rank_lo, r.rank_hi, r.move_significant,
                 (SELECT count(*) FROM puzzles p CROSS JOIN clues c ON c.puzzle_id = p.id
                  CROSS JOIN evaluations e ON e.clue_id = c.id
                  WHERE e.model_id = r.model_id AND p.week_id = r.week_id AND p.publication_date < m.release_date)
                   AS before_release
          FROM weekly_rankings r JOIN models m ON m.id = r.model_id
          WHERE r.week_id = ${WEEK} ORDER BY r.rank, m.display_name, m.id`,
  incomplete: `SELECT m.display_name, m.openrouter_id, m.provider, w.clues, w.evaluated, w.errors, w.coverage,
                      (SELECT e.error_message FROM puzzles p CROSS JOIN clues c ON c.puzzle_id = p.id
                       CROSS JOIN evaluations e ON e.clue_id = c.id
                       WHERE e.model_id = w.model_id AND p.week_id = w.week_id AND e.error_message IS NOT NULL
                       GROUP BY e.error_message ORDER BY count(*) DESC, max(e.id) DESC LIMIT 1) AS error
               FROM week_coverage w JOIN models m ON m.id = w.model_id
               WHERE w.week_id = ${WEEK} AND NOT EXISTS (SELECT 1 FROM weekly_rankings r
                     WHERE r.week_id = w.week_id AND r.model_id = w.model_id)
               ORDER BY w.coverage DESC, m.display_name`,
  puzzles: `SELECT p.id, p.series, p.guardian_id AS number, p.setter, p.title, p.url, p.publication_date,
                   (SELECT count(*) FROM clues c WHERE c.puzzle_id = p.id) AS clues
            FROM puzzles p WHERE p.week_id = ${WEEK} ORDER BY p.publication_date, p.id`,
  leaders: `SELECT t.rank_position, m.display_name, m.openrouter_id, t.weeks_count, t.start_week, t.significant_weeks
            FROM rank_tenure t JOIN models m ON m.id = t.model_id
            WHERE t.is_current AND t.rank_position <= 3 ORDER BY t.weeks_count DESC, t.rank_position, m.display_name`,
  results: `SELECT c.id, c.clue_number, c.direction, c.clue_text, c.letter_count, p.setter,
                   coalesce(c.display_answer, c.answer) AS answer, e.extracted_answer,
                   coalesce(e.outcome, CASE WHEN e.error_message IS NOT NULL THEN 'error'
                                            WHEN e.is_correct THEN 'correct' ELSE 'wrong' END) AS outcome,
                   c.explanation, e.error_message, e.response_time_ms, substr(e.model_response, 1, 4000) AS reply,
                   e.extract_rule,
                   p.publication_date, m.release_date, p.publication_date < m.release_date AS before_release
            FROM models m CROSS JOIN puzzles p CROSS JOIN clues c ON c.puzzle_id = p.id
            CROSS JOIN evaluations e ON e.clue_id = c.id AND e.model_id = m.id
            WHERE p.week_id = ? AND m.openrouter_id = ?
            ORDER BY CASE outcome WHEN 'wrong' THEN 0 WHEN 'no_answer' THEN 1 WHEN 'error' THEN 2 ELSE 3 END,
                     p.publication_date, p.id, c.direction, CAST(c.clue_number AS INTEGER), c.clue_number`,
  alltime: `SELECT a.rank, m.display_name, m.openrouter_id, m.provider, a.weeks, a.correct_count, a.total_clues,
                   a.accuracy, a.ci_low, a.ci_high, a.rank_lo, a.rank_hi, a.cost_per_clue, a.median_latency_ms
            FROM alltime_rankings a JOIN models m ON m.id = a.model_id ORDER BY a.rank, m.display_name`,
  headToHead: `SELECT m.openrouter_id AS model, o.openrouter_id AS opponent, h.wins, h.losses, h.ties, h.p_value,
                      h.significant
               FROM alltime_head_to_head h JOIN models m ON m.id = h.model_id JOIN models o ON o.id = h.opponent_id`,
  typeAccuracy: `SELECT m.openrouter_id, m.display_name, t.clue_type, t.total, t.correct, t.accuracy, t.ci_low, t.ci_high
                 FROM alltime_type_accuracy t JOIN models m ON m.id = t.model_id
                 JOIN alltime_rankings a ON a.model_id = t.model_id
                 WHERE ? IS NULL OR m.openrouter_id = ? ORDER BY a.rank, m.display_name, t.clue_type`,
  alltimeWeeks: `SELECT count(*) AS weeks FROM week_status WHERE status = 'ranked'`,
  model: `SELECT id, display_name, provider, openrouter_id, is_active FROM models WHERE openrouter_id = ?`,
  history: `SELECT * FROM (SELECT r.week_id, r.rank, r.accuracy, r.ci_low, r.ci_high, r.correct_count, r.total_clues,
                                  r.tenure_weeks, r.previous_rank, r.rank_change
                           FROM weekly_rankings r JOIN models m ON m.id = r.model_id
                           WHERE m.openrouter_id = ? ORDER BY r.week_id DESC LIMIT 52) ORDER BY week_id`,
  quality: `SELECT w.week_id, w.clues, w.evaluated, w.wrong_length_rate, w.no_answer_rate, w.error_rate,
                   w.avg_completion_tokens
            FROM week_coverage w JOIN models m ON m.id = w.model_id
            WHERE m.openrouter_id = ? ORDER BY w.week_id DESC LIMIT 52`,
  qualityAllTime: `SELECT q.weeks, q.clues, q.evaluated, q.wrong_length_rate, q.no_answer_rate, q.error_rate,
                          q.avg_completion_tokens
                   FROM alltime_quality q JOIN models m ON m.id = q.model_id WHERE m.openrouter_id = ?`,
  unranked: `SELECT w.week_id, w.coverage, w.evaluated, w.clues, w.errors FROM week_coverage w
             JOIN models m ON m.id = w.model_id
             WHERE m.openrouter_id = ? AND NOT EXISTS (SELECT 1 FROM weekly_rankings r
                   WHERE r.week_id = w.week_id AND r.model_id = w.model_id) ORDER BY w.week_id DESC LIMIT ?`,
  runs: `SELECT r.id, r.function_id, r.status, r.attempt, r.created_at, r.started_at, r.ended_at,
                substr(r.error, 1, 300) AS error, r.parent_run_id, substr(r.event, 1, 300) AS event,
                (SELECT count(*) FROM flow_steps s WHERE s.run_id = r.id) AS steps,
                (SELECT coalesce(sum(max(s.attempts - 1, 0)), 0) FROM flow_steps s WHERE s.run_id = r.id) AS retries
         FROM flow_runs r ORDER BY r.created_at DESC, r.id DESC LIMIT 100`,
  run: `SELECT r.id, r.function_id, r.status, r.attempt, r.created_at, r.started_at, r.ended_at, r.error,
               r.parent_run_id, r.event, substr(r.output, 1, 2000) AS output
        FROM flow_runs r WHERE r.id = ?`,
  steps: `SELECT s.seq, s.name, s.kind, s.status, s.attempts, s.started_at, s.ended_at, substr(s.error, 1, 500) AS error
          FROM flow_steps s WHERE s.run_id = ? ORDER BY s.seq`,
  children: `SELECT id, function_id, status FROM flow_runs WHERE parent_run_id = ? ORDER BY created_at, id`,
};

const q = (sql, ...args) => ({ sql, args });
// Weeks in the selector at first (a year); the rest load when asked for, so
// the first view stays the same size however long the benchmark has run.
const RECENT_WEEKS = 53;

// ---- the leaderboard ------------------------------------------------------

async function leaderboardView(week) {
  const w = week || null;
  const seq = navigation;
  loading("the leaderboard");
  let [weeks, [info], board, incomplete, puzzles, leaders] = await client.query([
    q(Q.weeks, RECENT_WEEKS),
    q(Q.week, w, w, w, w),
    q(Q.board, w),
    q(Q.incomplete, w),
    q(Q.puzzles, w),
    q(Q.leaders),
  ]);
  if (seq !== navigation) return;
  if (!weeks.length) {
    show(h("section.empty", {}, h("h2", {}, "No puzzles yet"), h("p", {}, "Run `cryptic-bench run` to scrape and evaluate the first week.")));
    return;
  }
  const current = info.week_id;
  let complete = false;
  if (weeks.length === RECENT_WEEKS && !weeks.some((row) => row.week_id === current)) {
    // An older week was asked for: the whole list, so the selector shows it.
    [weeks] = await client.query([q(Q.weeks, -1)]);
    if (seq !== navigation) return;
    complete = true;
  }
  const select = h(
    "select",
    {
      id: "week",
      "aria-label": "week",
      onchange: (ev) => {
        if (ev.target.value) location.hash = "#/week/" + ev.target.value;
        else olderWeeks(ev.target, current);
      },
    },
    weekOptions(weeks, current, weeks.length < RECENT_WEEKS || complete),
  );
  const thisWeek = weeks.find((row) => row.week_id === current) || { clues: 0, puzzles: 0 };

  const summary = h(
    "section.summary",
    { "aria-label": "week summary" },
    h("h2", {}, weekLabel(current)),
    h(
      "p.counts",
      {},
      h("span", { "data-count": "clues" }, `${thisWeek.clues} clues`),
      " · ",
      h("span", { "data-count": "puzzles" }, `${thisWeek.puzzles} ${thisWeek.puzzles === 1 ? "puzzle" : "puzzles"}`),
      " · ",
      h("span", { "data-count": "models" }, `${board.length} ${board.length === 1 ? "model" : "models"} ranked`),
    ),
    h(
      "ul.puzzles",
      {},
      puzzles.map((p) => {
        const name = p.title || `${p.series} ${p.number}`;
        const href = safeHref(p.url);
        return h(
          "li",
          {},
          href ? h("a", { href, rel: "noopener noreferrer", target: "_blank" }, name) : name,
          p.setter ? ` (${p.setter})` : "",
          ` · ${p.clues} clues`,
        );
      }),
    ),
  );

  const status = info.status === "ranked"
    ? null
    : h(
        "div.notice",
        { role: "note" },
        h("strong", {}, info.status === "no-ranking" ? "No ranking this week. " : "Not ranked yet. "),
        info.reason || (info.status ? "" : "Rankings are computed after the week's evaluation finishes."),
      );

  const scale = ciScale(board);
  const body = h("tbody");
  const groups = rangeGroups(board);
  board.forEach((row, i) => body.append(...boardRow(row, current, scale, groups[i])));
  const table = board.length
    ? h(
        "div.scroll",
        {},
        h(
          "table.board",
          {},
          h("caption", {}, `${weekLabel(current)}: ranked models`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Rank"),
              h("th", { scope: "col" }, "Model"),
              h("th", { scope: "col" }, "Accuracy"),
              h("th.wide", { scope: "col" }, "95% interval ", ciAxis(scale)),
              h("th.narrow-hide", { scope: "col" }, "Avg time"),
              h("th.narrow-hide", { scope: "col" }, "Cost"),
              h("th", { scope: "col" }, "Move"),
            ),
          ),
          body,
        ),
        h("p.hint.range-note", {}, RANGE_NOTE, " Grey arrows: rank changes that are not a significant change in result."),
      )
    : null;

  const incompleteSection = incomplete.length
    ? h(
        "section.incomplete",
        {},
        h("h3", {}, "Not ranked this week"),
        h("p.hint", {}, "These models have results missing, so ranking them would count the gaps as wrong answers."),
        h(
          "div.scroll",
          {},
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ["Model", "Coverage", "Evaluated", "Errors", "What stopped it"].map((t) => h("th", { scope: "col" }, t)))),
            h(
              "tbody",
              {},
              incomplete.map((m) =>
                h(
                  "tr.incomplete-row",
                  { "data-model-id": m.openrouter_id },
                  h("td", {}, h("a", { href: "#/model/" + encodeURIComponent(m.openrouter_id) }, m.display_name), " ", providerBadge(m.provider)),
                  h("td", {}, pct(m.coverage)),
                  h("td", {}, `${m.evaluated}/${m.clues}`),
                  h("td", {}, String(m.errors)),
                  h("td.error-text", { title: m.error || null }, clip(m.error, 160) || "—"),
                ),
              ),
            ),
          ),
        ),
      )
    : null;

  const leadersSection = h(
    "section.leaders",
    {},
    h("h3", {}, "Tenure leaders"),
    leaders.length
      ? h(
          "ol.leader-list",
          {},
          leaders.map((t) =>
            h(
              "li",
              {},
              rankBadge(t.rank_position),
              " ",
              h("a", { href: "#/model/" + encodeURIComponent(t.openrouter_id) }, t.display_name),
              " ",
              tenure(t.rank_position, t.weeks_count),
              h("span.since", {}, ` since ${weekLabel(t.start_week)}`),
              significantTenure(t),
            ),
          ),
        )
      : h("p", {}, "No current tenures yet."),
  );

  show(h("div.toolbar", {}, h("label", { for: "week" }, "Week "), select), summary, status, table, incompleteSection, leadersSection);
}

// The selector's options; unless the list is complete, a last, empty-valued
// one loads the older weeks.
function weekOptions(weeks, current, complete) {
  const options = weeks.map((row) => {
    const o = h("option", { value: row.week_id }, weekLabel(row.week_id) + (row.status === "ranked" ? "" : " (not ranked)"));
    if (row.week_id === current) o.selected = true;
    return o;
  });
  if (!complete) options.push(h("option", { value: "" }, "Older weeks…"));
  return options;
}

async function olderWeeks(select, current) {
  select.disabled = true;
  try {
    const [weeks] = await client.query([q(Q.weeks, -1)]);
    select.replaceChildren(...weekOptions(weeks, current, true));
  } catch (e) {
    select.value = current;
  } finally {
    select.disabled = false;
  }
}

function boardRow(row, week, scale, group) {
  const detail = h("tr.detail", { hidden: true }, h("td", { colspan: "7" }));
  const tr = h(
    "tr.board-row." + (group % 2 ? "group-odd" : "group-even"),
    {
      tabindex: "0",
      role: "button",
      "aria-expanded": "false",
      "data-model-id": row.openrouter_id,
      "data-rank": row.rank,
      "data-rank-lo": hasRange(row) ? row.rank_lo : null,
      "data-rank-hi": hasRange(row) ? row.rank_hi : null,
      "data-group": group,
      onclick: () => toggle(),
      onkeydown: (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          toggle();
        }
      },
    },
    h("td.rank", {}, rankWithRange(row)),
    h(
      "td.model",
      {},
      h("a.model-name", { href: "#/model/" + encodeURIComponent(row.openrouter_id), onclick: (ev) => ev.stopPropagation() }, row.display_name),
      " ",
      providerBadge(row.provider),
      h("div.sub", {}, tenure(row.rank, row.tenure_weeks)),
      row.before_release > 0
        ? h(
            "div.sub.before-release",
            { title: `released ${row.release_date}: these clues were published before it and may have been seen in training` },
            `${row.before_release} ${row.before_release === 1 ? "clue" : "clues"} from before its release`,
          )
        : null,
    ),
    h("td.score", {}, h("span.accuracy", {}, pct(row.accuracy)), h("div.sub.correct", {}, `${row.correct_count}/${row.total_clues}`)),
    h("td.wide", {}, ciBar(row, scale)),
    h("td.narrow-hide.latency", {}, duration(row.avg_latency_ms)),
    h("td.narrow-hide.cost", {}, money(row.cost)),
    h("td.movement", {}, significantMove(row, movement(row))),
  );
  let loaded = false;
  async function toggle() {
    const open = tr.getAttribute("aria-expanded") === "true";
    tr.setAttribute("aria-expanded", open ? "false" : "true");
    detail.hidden = open;
    if (open || loaded) return;
    loaded = true;
    const cell = detail.firstChild;
    cell.replaceChildren(h("p.loading", { role: "status" }, "Loading clue results…"));
    try {
      const [results] = await client.query([q(Q.results, week, row.openrouter_id)]);
      cell.replaceChildren(resultsTable(results, row.display_name));
    } catch (e) {
      loaded = false;
      cell.replaceChildren(h("p.error", { role: "alert" }, e.message));
    }
  }
  return [tr, detail];
}

const OUTCOME = { correct: "right", wrong: "wrong", no_answer: "no answer", error: "error" };

function resultsTable(results, model) {
  if (!results.length) return h("p", {}, "No results stored for this week.");
  return h(
    "div.scroll",
    {},
    h(
      "table.results",
      {},
      h("caption", {}, `${model}: clue results, wrong answers first`),
      h(
        "thead",
        {},
        h("tr", {}, ["Clue", "", "Setter", "Answer", "Model's answer", "Outcome", "Explanation"].map((t) => h("th", { scope: "col" }, t))),
      ),
      h(
        "tbody",
        {},
        results.map((r) =>
          h(
            "tr.result",
            { "data-clue-id": r.id, "data-outcome": r.outcome },
            h("td.clue", {}, h("span.clue-ref", {}, `${r.clue_number}${(r.direction || "").charAt(0).toLowerCase()} `), h("span.clue-text", {}, r.clue_text)),
            h("td.enumeration", {}, /^\(/.test(r.letter_count || "") ? r.letter_count : `(${r.letter_count})`),
            h("td.setter", {}, r.setter || "—"),
            h("td.answer", {}, r.answer),
            h(
              "td.model-answer",
              {},
              r.outcome === "error"
                ? h("span.model-answer-text.error-text", {}, r.error_message || "error")
                : h("span.model-answer-text", {}, r.extracted_answer || "—"),
              r.reply
                ? h(
                    "details",
                    {},
                    h("summary", {}, "reply"),
                    h(
                      "p.extract-rule",
                      { title: "the extraction rule that decided the model's answer (docs/eval.md)" },
                      "rule: ",
                      h("code.rule", {}, r.extract_rule || "not recorded (run rescore)"),
                    ),
                    h("pre.reply", {}, r.reply),
                  )
                : null,
            ),
            h(
              "td.outcome",
              {},
              h("span.outcome-badge." + (r.outcome || "unknown").replace(/[^a-z_]/g, ""), {}, OUTCOME[r.outcome] || r.outcome),
              r.before_release
                ? h(
                    "span.seen-badge",
                    { title: `published ${r.publication_date}, before the model's release (${r.release_date}): possibly seen in training` },
                    " before release",
                  )
                : null,
            ),
            h("td.explanation", {}, r.explanation || "—"),
          ),
        ),
      ),
    ),
  );
}

// ---- all time ----------------------------------------------------------------

async function allTimeView() {
  const seq = navigation;
  loading("the all-time board");
  const [rows, [weeks], cells, types] = await client.query([q(Q.alltime), q(Q.alltimeWeeks), q(Q.headToHead), q(Q.typeAccuracy, null, null)]);
  if (seq !== navigation) return;
  const scale = ciScale(rows);
  const groups = rangeGroups(rows);
  show(
    h("h2", {}, "All time"),
    h("p.counts", {}, `Pooled over ${weeks.weeks} ranked ${weeks.weeks === 1 ? "week" : "weeks"}: every counted answer of every ranked week.`),
    rows.length
      ? h(
          "div.scroll",
          {},
          h(
            "table.board.alltime",
            {},
            h(
              "thead",
              {},
              h("tr", {}, h("th", {}, "Rank"), h("th", {}, "Model"), h("th", {}, "Accuracy"), h("th.wide", {}, "95% interval ", ciAxis(scale)), h("th", {}, "Weeks")),
            ),
            h(
              "tbody",
              {},
              rows.map((r, i) =>
                h(
                  "tr.alltime-row." + (groups[i] % 2 ? "group-odd" : "group-even"),
                  { "data-model-id": r.openrouter_id, "data-rank-lo": hasRange(r) ? r.rank_lo : null, "data-rank-hi": hasRange(r) ? r.rank_hi : null },
                  h("td.rank", {}, rankWithRange(r)),
                  h("td.model", {}, h("a.model-name", { href: "#/model/" + encodeURIComponent(r.openrouter_id) }, r.display_name), " ", providerBadge(r.provider)),
                  h("td.score", {}, h("span.accuracy", {}, pct(r.accuracy)), h("div.sub.correct", {}, `${r.correct_count}/${r.total_clues}`)),
                  h("td.wide", {}, ciBar(r, scale)),
                  h("td", {}, String(r.weeks)),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "No ranked weeks yet."),
    rows.length ? h("p.hint.range-note", {}, RANGE_NOTE) : null,
    headToHead(rows, cells),
    costCharts(rows),
    typeMatrix(rows, types),
  );
}

// ---- one model ---------------------------------------------------------------

async function modelView(id) {
  const seq = navigation;
  loading("the model");
  const [models, history, unranked, quality, qualityAllTime, types] = await client.query([
    q(Q.model, id),
    q(Q.history, id),
    q(Q.unranked, id, RECENT_WEEKS),
    q(Q.quality, id),
    q(Q.qualityAllTime, id),
    q(Q.typeAccuracy, id, id),
  ]);
  if (seq !== navigation) return;
  if (!models.length) {
    show(h("div.error", { role: "alert" }, h("p", {}, `No model ${id} in this database.`)));
    return;
  }
  const m = models[0];
  const points = history.map((r) => ({
    label: r.week_id.replace(/^\d{4}-/, ""),
    y: r.accuracy,
    lo: r.ci_low,
    hi: r.ci_high,
    tip: `${weekLabel(r.week_id)}: ${pct(r.accuracy)} (${pct(r.ci_low)}–${pct(r.ci_high)}), #${r.rank}`,
  }));
  const worst = history.reduce((a, r) => Math.max(a, r.rank), 1);
  const charts = history.length
    ? [
        h("h3", {}, "Weekly accuracy with 95% interval"),
        lineChart(points, { min: 0, max: 100, format: (v) => `${Math.round(v)}%`, title: `${m.display_name}: weekly accuracy` }),
        h("h3", {}, "Rank over time"),
        lineChart(
          history.map((r) => ({ label: r.week_id.replace(/^\d{4}-/, ""), y: r.rank, tip: `${weekLabel(r.week_id)}: #${r.rank}` })),
          { min: 1, max: Math.max(2, worst), ticks: Math.max(1, Math.min(5, worst - 1)), invert: true, format: (v) => `#${Math.round(v)}`, title: `${m.display_name}: rank over time` },
        ),
      ]
    : [h("p", {}, "Not ranked in any week yet.")];
  show(
    h("h2", {}, m.display_name, " ", providerBadge(m.provider)),
    h("p.counts", {}, h("code", {}, m.openrouter_id), m.is_active ? "" : " · inactive"),
    ...charts,
    history.length
      ? h(
          "div.scroll",
          {},
          h(
            "table.history",
            {},
            h("thead", {}, h("tr", {}, ["Week", "Rank", "Accuracy", "Correct", "95% interval", "Tenure"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              history
                .slice()
                .reverse()
                .map((r) =>
                  h(
                    "tr",
                    {},
                    h("td", {}, h("a", { href: "#/week/" + r.week_id }, weekLabel(r.week_id))),
                    h("td", {}, rankBadge(r.rank)),
                    h("td", {}, pct(r.accuracy)),
                    h("td", {}, `${r.correct_count}/${r.total_clues}`),
                    h("td", {}, `${pct(r.ci_low)} – ${pct(r.ci_high)}`),
                    h("td", {}, tenure(r.rank, r.tenure_weeks)),
                  ),
                ),
            ),
          ),
        )
      : null,
    qualitySection(qualityAllTime[0], quality),
    typeSection(types),
    unranked.length
      ? h(
          "section.incomplete",
          {},
          h("h3", {}, "Weeks with results missing (not ranked)"),
          unrankedList(unranked, id),
        )
      : null,
  );
}

// A model's unranked weeks, the newest RECENT_WEEKS; a button loads the rest.
function unrankedList(unranked, id) {
  const item = (u) => h("li", {}, `${weekLabel(u.week_id)}: ${pct(u.coverage)} covered, ${u.evaluated}/${u.clues} evaluated, ${u.errors} errors`);
  const list = h("ul", {}, unranked.map(item));
  if (unranked.length < RECENT_WEEKS) return list;
  const more = h("button", {
    type: "button",
    onclick: async () => {
      more.disabled = true;
      try {
        const [all] = await client.query([q(Q.unranked, id, -1)]);
        list.replaceChildren(...all.map(item));
        more.remove();
      } catch (e) {
        more.disabled = false;
      }
    },
  }, "Older weeks…");
  return [list, more];
}

// Answer quality as rank/ stored it (week_coverage, alltime_quality): percent
// of each week's scored clues; all time pools every week with evaluations.
function qualitySection(allTime, weeks) {
  if (!allTime && !weeks.length) return null;
  const tokens = (v) => (v === null || v === undefined ? "—" : String(Math.round(v)));
  const row = (key, label, r) =>
    h(
      "tr.quality-row",
      { "data-week": key },
      h("td", {}, label),
      h("td", {}, `${r.evaluated}/${r.clues}`),
      h("td.wrong-length-rate", {}, pct(r.wrong_length_rate)),
      h("td.no-answer-rate", {}, pct(r.no_answer_rate)),
      h("td.error-rate", {}, pct(r.error_rate)),
      h("td.avg-completion-tokens", {}, tokens(r.avg_completion_tokens)),
    );
  return h(
    "section.quality",
    {},
    h("h3", {}, "Answer quality"),
    h(
      "p.counts",
      {},
      "Percent of each week's scored clues: answers whose letter count differs from the enumeration, no answer, " +
        "failed calls; and the average reply length in completion tokens.",
    ),
    h(
      "div.scroll",
      {},
      h(
        "table.quality",
        {},
        h("thead", {}, h("tr", {}, ["Week", "Answered", "Wrong length", "No answer", "Errors", "Avg tokens"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          allTime ? row("all-time", `All time (${allTime.weeks} ${allTime.weeks === 1 ? "week" : "weeks"})`, allTime) : null,
          weeks.map((r) => row(r.week_id, h("a", { href: "#/week/" + r.week_id }, weekLabel(r.week_id)), r)),
        ),
      ),
    ),
  );
}

// ---- runs -----------------------------------------------------------------------

const span = (a, b) => (a && b ? duration(b - a) : "—");

async function runsView() {
  const seq = navigation;
  loading("the runs");
  const [runs] = await client.query([q(Q.runs)]);
  if (seq !== navigation) return;
  show(
    h("h2", {}, "Workflow runs"),
    runs.length
      ? h(
          "div.scroll",
          {},
          h(
            "table.runs",
            {},
            h("thead", {}, h("tr", {}, ["Created", "Function", "Status", "Duration", "Steps", "Retries", "Error"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              runs.map((r) =>
                h(
                  "tr.run-row",
                  { "data-run-id": r.id },
                  h("td", {}, h("a", { href: "#/runs/" + encodeURIComponent(r.id) }, when(r.created_at))),
                  h("td", {}, r.function_id, r.parent_run_id ? h("span.sub", {}, " (child)") : null),
                  h("td", {}, h("span.status." + r.status, {}, r.status)),
                  h("td", {}, span(r.started_at, r.ended_at)),
                  h("td", {}, String(r.steps)),
                  h("td", {}, String(r.retries)),
                  h("td.error-text", {}, r.error || ""),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "No workflow runs recorded in this database."),
  );
}

async function runView(id) {
  const seq = navigation;
  loading("the run");
  const [[run], steps, children] = await client.query([q(Q.run, id), q(Q.steps, id), q(Q.children, id)]);
  if (seq !== navigation) return;
  if (!run) {
    show(h("div.error", { role: "alert" }, h("p", {}, `No run ${id}.`)));
    return;
  }
  let data = "";
  try {
    data = JSON.stringify(JSON.parse(run.event).data);
  } catch (e) {
    data = "";
  }
  show(
    h("p", {}, h("a", { href: "#/runs" }, "← all runs")),
    h("h2", {}, run.function_id, " ", h("span.status." + run.status, {}, run.status)),
    h(
      "dl.run-facts",
      {},
      h("dt", {}, "Run"), h("dd", {}, h("code", {}, run.id)),
      h("dt", {}, "Event data"), h("dd", {}, h("code", {}, data || "—")),
      h("dt", {}, "Created"), h("dd", {}, when(run.created_at)),
      h("dt", {}, "Duration"), h("dd", {}, span(run.started_at, run.ended_at)),
      h("dt", {}, "Attempt"), h("dd", {}, String(run.attempt)),
      run.parent_run_id ? [h("dt", {}, "Parent"), h("dd", {}, h("a", { href: "#/runs/" + encodeURIComponent(run.parent_run_id) }, run.parent_run_id))] : null,
      run.error ? [h("dt", {}, "Error"), h("dd.error-text", {}, run.error)] : null,
    ),
    h("h3", {}, `Steps (${steps.length})`),
    steps.length
      ? h(
          "div.scroll",
          {},
          h(
            "table.steps",
            {},
            h("thead", {}, h("tr", {}, ["#", "Step", "Kind", "Status", "Attempts", "Duration", "Error"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              steps.map((s) =>
                h(
                  "tr.step-row",
                  {},
                  h("td", {}, String(s.seq)),
                  h("td", {}, s.name),
                  h("td", {}, s.kind),
                  h("td", {}, h("span.status." + s.status, {}, s.status)),
                  h("td", {}, String(s.attempts)),
                  h("td", {}, span(s.started_at, s.ended_at)),
                  h("td.error-text", {}, s.error || ""),
                ),
              ),
            ),
          ),
        )
      : h("p", {}, "No steps."),
    children.length
      ? [
          h("h3", {}, `Child runs (${children.length})`),
          h("ul", {}, children.map((c) => h("li", {}, h("a", { href: "#/runs/" + encodeURIComponent(c.id) }, c.function_id), ` ${c.status}`))),
        ]
      : null,
  );
}

// ---- routing ----------------------------------------------------------------------

function route() {
  navigation++;
  shown = location.hash || "#/";
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const [page, ...rest] = hash.split("/");
  const arg = rest.join("/");
  for (const a of document.querySelectorAll("nav a")) a.toggleAttribute("aria-current", a.dataset.page === (page || "week"));
  let view;
  if (page === "all-time") view = () => allTimeView();
  else if (page === "model" && arg) view = () => modelView(arg);
  else if (page === "runs" && arg) view = () => runView(arg);
  else if (page === "runs") view = () => runsView();
  else view = () => leaderboardView(page === "week" && arg ? arg : null);
  const attempt = () => view().catch((e) => failed(e, attempt));
  attempt();
}

window.addEventListener("hashchange", route);
route();
