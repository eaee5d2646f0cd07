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
