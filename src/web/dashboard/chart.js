// chart.js - line charts drawn as SVG by hand: a series of weekly points,
// each with an optional interval drawn as a whisker. Every label is a text
// node, so nothing from the database is ever parsed as markup.

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// points: [{label, y, lo?, hi?, tip}], options: {min, max, invert, ticks, format, title}
export function lineChart(points, options) {
  const W = 640, H = 240, left = 44, right = 12, top = 14, bottom = 34;
  const plotW = W - left - right, plotH = H - top - bottom;
  const { min, max, invert = false, ticks = 5, format = String, title = "" } = options;
  const span = max - min || 1;
  const yOf = (v) => {
    const t = (v - min) / span;
    return top + (invert ? t : 1 - t) * plotH;
  };
  const xOf = (i) => left + (points.length === 1 ? plotW / 2 : (i * plotW) / (points.length - 1));

  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  svg.appendChild(el("title", {}, title));
  for (let k = 0; k <= ticks; k++) {
    const v = min + (span * k) / ticks;
    const y = yOf(v);
    svg.appendChild(el("line", { x1: left, x2: W - right, y1: y, y2: y, class: "grid" }));
    svg.appendChild(el("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, format(v)));
  }
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    if (i % every === 0 || i === points.length - 1)
      svg.appendChild(el("text", { x: xOf(i), y: H - 12, class: "tick", "text-anchor": "middle" }, p.label));
  });
  points.forEach((p, i) => {
    if (p.lo === undefined || p.lo === null || p.hi === undefined || p.hi === null) return;
    const x = xOf(i);
    svg.appendChild(el("line", { x1: x, x2: x, y1: yOf(p.lo), y2: yOf(p.hi), class: "whisker" }));
    svg.appendChild(el("line", { x1: x - 4, x2: x + 4, y1: yOf(p.lo), y2: yOf(p.lo), class: "whisker" }));
    svg.appendChild(el("line", { x1: x - 4, x2: x + 4, y1: yOf(p.hi), y2: yOf(p.hi), class: "whisker" }));
  });
  if (points.length > 1)
    svg.appendChild(el("polyline", { points: points.map((p, i) => `${xOf(i)},${yOf(p.y)}`).join(" "), class: "line" }));
  points.forEach((p, i) => {
    const dot = el("circle", { cx: xOf(i), cy: yOf(p.y), r: 4, class: "dot" });
    dot.appendChild(el("title", {}, p.tip || `${p.label}: ${format(p.y)}`));
    svg.appendChild(dot);
  });
  return svg;
}

// A scatter chart, small enough to read on a phone (drawn at 360 px wide):
// points [{x, y, lo?, hi?, label, tip}], y in percent with its interval as a
// whisker; options {title, xTitle, yTitle, xLog, xFormat, yFormat}.
export function scatterChart(points, options) {
  const W = 360, H = 300, left = 40, right = 14, top = 12, bottom = 42;
  const plotW = W - left - right, plotH = H - top - bottom;
  const { title = "", xTitle = "", yTitle = "", xLog = false, xFormat = String, yFormat = (v) => `${Math.round(v)}%` } = options;
  const tx = (v) => (xLog ? Math.log10(v) : v);
  const xs = points.map((p) => tx(p.x));
  let xmin = Math.min(...xs), xmax = Math.max(...xs);
  if (xLog) {
    xmin = Math.floor(xmin);
    xmax = Math.ceil(xmax);
  } else {
    xmin = 0;
  }
  if (xmax - xmin <= 0) xmax = xmin + 1;
  const highs = points.map((p) => (p.hi === null || p.hi === undefined ? p.y : p.hi));
  const ymax = Math.min(100, Math.ceil(Math.max(...highs, 10) / 10) * 10);
  const xOf = (v) => left + ((tx(v) - xmin) / (xmax - xmin)) * plotW;
  const xAt = (t) => left + ((t - xmin) / (xmax - xmin)) * plotW;
  const yOf = (v) => top + (1 - v / ymax) * plotH;

  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart scatter", role: "img", "aria-label": title });
  svg.appendChild(el("title", {}, title));
  for (let k = 0; k <= 5; k++) {
    const v = (ymax * k) / 5, y = yOf(v);
    svg.appendChild(el("line", { x1: left, x2: W - right, y1: y, y2: y, class: "grid" }));
    svg.appendChild(el("text", { x: left - 4, y: y + 4, class: "tick", "text-anchor": "end" }, yFormat(v)));
  }
  const steps = xLog ? xmax - xmin : 4;
  for (let k = 0; k <= steps; k++) {
    const t = xmin + ((xmax - xmin) * k) / steps, x = xAt(t);
    svg.appendChild(el("line", { x1: x, x2: x, y1: top, y2: top + plotH, class: "grid" }));
    svg.appendChild(el("text", { x, y: top + plotH + 14, class: "tick", "text-anchor": "middle" }, xFormat(xLog ? 10 ** t : t)));
  }
  svg.appendChild(el("text", { x: left + plotW / 2, y: H - 6, class: "axis-title", "text-anchor": "middle" }, xTitle));
  svg.appendChild(el("text", { x: 10, y: top + plotH / 2, class: "axis-title", "text-anchor": "middle", transform: `rotate(-90 10 ${top + plotH / 2})` }, yTitle));
  for (const p of points) {
    const x = xOf(p.x);
    if (p.lo !== undefined && p.lo !== null && p.hi !== undefined && p.hi !== null)
      svg.appendChild(el("line", { x1: x, x2: x, y1: yOf(p.lo), y2: yOf(p.hi), class: "whisker" }));
  }
  // Labels placed greedily where they overlap no label already placed
  // (about 5.5 px a character at 10 px); a dot whose label finds no room
  // keeps its tooltip only.
  const placed = [];
  const free = (x0, x1, y) => placed.every((b) => x1 < b.x0 || x0 > b.x1 || Math.abs(y - b.y) >= 11);
  for (const p of points.slice().sort((a, b) => b.y - a.y)) {
    const x = xOf(p.x), y = yOf(p.y);
    const dot = el("circle", { cx: x, cy: y, r: 4, class: "dot" });
    dot.appendChild(el("title", {}, p.tip || p.label));
    svg.appendChild(dot);
    const width = p.label.length * 5.5;
    for (const [dx, dy] of [[6, -5], [6, 12], [-6, -5], [-6, 12], [6, -16], [-6, -16], [6, 23], [-6, 23]]) {
      const x0 = dx > 0 ? x + dx : x + dx - width, x1 = x0 + width, ly = y + dy;
      if (x0 < 2 || x1 > W - 2 || ly < top + 8 || ly > top + plotH || !free(x0, x1, ly)) continue;
      placed.push({ x0, x1, y: ly });
      svg.appendChild(el("text", { x: dx > 0 ? x + dx : x + dx, y: ly, class: "point-label", "text-anchor": dx > 0 ? "start" : "end" }, p.label));
      break;
    }
  }
  return svg;
}
