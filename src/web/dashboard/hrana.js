// hrana.js - a small read-only client for Hrana over HTTP (libSQL's
// `POST {db}/v2/pipeline`, the wire format of @libsql/client): the
// embedded database through `serve`, or Turso / sqld directly.
//
// One page view is one pipeline: every statement it needs, then "close",
// in a single POST. No Content-Type header is set, so without a token the
// request is a CORS "simple request" and costs no preflight round trip.

export class DbError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// "" (same origin), http(s)://host[/path] or libsql://host -> the pipeline URL.
export function pipelineUrl(db) {
  let base = (db || "").trim();
  if (base.startsWith("libsql://")) base = "https://" + base.slice("libsql://".length);
  base = base.replace(/\/+$/, "");
  return base + "/v2/pipeline";
}

function encodeArg(v) {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "number" && Number.isInteger(v)) return { type: "integer", value: String(v) };
  if (typeof v === "number") return { type: "float", value: v };
  return { type: "text", value: String(v) };
}

function decodeValue(v) {
  switch (v.type) {
    case "integer": return Number(v.value);
    case "float": return v.value;
    case "text": return v.value;
    case "blob": return v.base64;
    default: return null;
  }
}

// tokenHeader: "Authorization" (what @libsql/client sends), or
// "x-authorization", which sqld also reads and which a CORS preflight
// answered "Access-Control-Allow-Headers: *" covers (Authorization it does not).
export function createClient({ db = "", token = "", tokenHeader = "Authorization" } = {}) {
  const url = pipelineUrl(db);
  return {
    // statements: [{sql, args}] -> [[row objects keyed by column name]]
    async query(statements) {
      const requests = statements.map((s) => ({
        type: "execute",
        stmt: { sql: s.sql, args: (s.args || []).map(encodeArg) },
      }));
      requests.push({ type: "close" });
      const headers = token ? { [tokenHeader]: "Bearer " + token } : {};
      let res;
      try {
        res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ baton: null, requests }) });
      } catch (e) {
        throw new DbError("cannot reach the database at " + url + " (" + e.message + ")", 0);
      }
      const text = await res.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch (e) {
        body = null;
      }
      if (!res.ok) {
        const why = body && (body.message || body.error);
        throw new DbError("the database answered HTTP " + res.status + (why ? ": " + why : ""), res.status);
      }
      if (!body || !Array.isArray(body.results))
        throw new DbError("the database's answer is not a Hrana pipeline response", res.status);
      return statements.map((s, i) => {
        const r = body.results[i];
        if (!r || r.type !== "ok") {
          const why = r && r.error ? r.error.message : "no result";
          throw new DbError("query failed: " + why, res.status);
        }
        const result = r.response.result;
        const names = result.cols.map((c) => c.name);
        return result.rows.map((row) => {
          const o = {};
          row.forEach((v, j) => (o[names[j]] = decodeValue(v)));
          return o;
        });
      });
    },
  };
}
