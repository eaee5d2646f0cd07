// sdk_send.mjs - the official SDK's inngest.send() against an event API of
// our choosing (cryptic-bench serve's POST /e/{key}); prints the ids it got.
// Usage: node sdk_send.mjs < {"base_url", "event_key", "events": [...]}
import { Inngest } from "inngest";
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
const inngest = new Inngest({ id: "sdk-sender", eventKey: input.event_key, baseUrl: input.base_url, isDev: false });
const result = await inngest.send(input.events);
process.stdout.write(JSON.stringify({ ids: result.ids }) + "\n");
