// config.js - where the dashboard reads from. Served by `serve`, it reads
// the same origin's read-only SQL endpoint; `export-dashboard` rewrites this
// file with a remote database URL (libsql://, https://) and a read token.
export const config = { db: "", token: "", token_header: "Authorization" };
