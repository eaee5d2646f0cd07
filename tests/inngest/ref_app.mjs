// The reference Inngest app: ten small functions on the official `inngest` SDK
// (4.24.0, from tests/node_modules), served by `inngest/node` on node:http.
//
// tests/fakes/inngest_executor.py is proved against this app (prove_ref.sh);
// the C serve endpoint implements the same functions, so what each function
// does here is a contract: ids, triggers, options, step ids and return values.
//
// Configured only by the environment: APP_ID (default "ref-app"),
// INNGEST_SIGNING_KEY, INNGEST_SIGNING_KEY_FALLBACK, INNGEST_EVENT_KEY,
// INNGEST_BASE_URL (the executor). INNGEST_DEV must be unset: cloud mode, so
// every call is signature-checked. Listens on 127.0.0.1, port chosen by the
// kernel, and prints "PORT <n>" once listening. Run it from tests/ so that
// `import "inngest"` resolves.
import http from "node:http";
import { Inngest } from "inngest";
import { serve } from "inngest/node";

const inngest = new Inngest({ id: process.env.APP_ID || "ref-app" });

// Three steps in a row, one id used three times (hashed "loop", "loop:1", "loop:2").
const serial = inngest.createFunction(
  {
    id: "serial",
    triggers: { event: "test/serial" },
    retries: 2,
    concurrency: [{ limit: 1, key: "event.data.key" }],
  },
  async ({ event, step }) => {
    const a = await step.run("add-one", () => event.data.x + 1);
    const b = await step.run("double", () => a * 2);
    for (const i of [0, 1, 2]) {
      await step.run("loop", () => i);
    }
    return { a, b, loops: [0, 1, 2] };
  },
);

// Three steps at once: one 206 with three StepPlanned ops.
const parallel = inngest.createFunction(
  { id: "parallel", triggers: { event: "test/parallel" } },
  async ({ step }) => {
    const r = await Promise.all([
      step.run("p1", () => "one"),
      step.run("p2", () => "two"),
      step.run("p3", () => "three"),
    ]);
    const joined = await step.run("join", () => r.join("+"));
    return { joined };
  },
);

const sleepy = inngest.createFunction(
  { id: "sleepy", triggers: { event: "test/sleepy" } },
  async ({ step }) => {
    await step.run("before", () => 1);
    await step.sleep("nap", "2s");
    await step.run("after", () => 2);
    return { done: true };
  },
);

const waiter = inngest.createFunction(
  {
    id: "waiter",
    triggers: { event: "test/wait" },
    cancelOn: [{ event: "test/cancel", match: "data.id" }],
  },
  async ({ step }) => {
    const ev = await step.waitForEvent("approval", {
      event: "test/approved",
      timeout: "1h",
      match: "data.id",
    });
    return { approved_by: ev ? ev.data.by : null };
  },
);

const child = inngest.createFunction(
  { id: "child", triggers: { event: "test/child" } },
  async ({ event, step }) => {
    const d = await step.run("double", () => event.data.n * 2);
    return { doubled: d };
  },
);

const parent = inngest.createFunction(
  { id: "parent", triggers: { event: "test/parent" } },
  async ({ event, step }) => {
    const r = await step.invoke("call-child", {
      function: child,
      data: { n: event.data.n },
    });
    return { child: r };
  },
);

// Fails twice, then succeeds: executions are counted per run id.
const flakyCount = new Map();
const flaky = inngest.createFunction(
  { id: "flaky", triggers: { event: "test/flaky" }, retries: 3 },
  async ({ step, runId }) => {
    const result = await step.run("flaky", () => {
      const k = (flakyCount.get(runId) || 0) + 1;
      flakyCount.set(runId, k);
      if (k < 3) throw new Error("transient " + k);
      return "ok after " + k;
    });
    return { result };
  },
);

const doomed = inngest.createFunction(
  { id: "doomed", triggers: { event: "test/doomed" }, retries: 1 },
  async ({ step }) => {
    await step.run("explode", () => {
      throw new Error("boom");
    });
  },
);

const sender = inngest.createFunction(
  { id: "sender", triggers: { event: "test/send" } },
  async ({ step }) => {
    const out = await step.sendEvent("emit", {
      name: "test/emitted",
      data: { from: "sender" },
    });
    return { sent: out.ids.length };
  },
);

const scheduled = inngest.createFunction(
  { id: "scheduled", triggers: { cron: "TZ=Europe/Paris 0 12 * * 5" } },
  async ({ step }) => {
    await step.run("tick", () => "tick");
    return "tick";
  },
);

const handler = serve({
  client: inngest,
  functions: [serial, parallel, sleepy, waiter, child, parent, flaky, doomed, sender, scheduled],
});

const server = http.createServer((req, res) => {
  const path = (req.url || "").split("?")[0];
  if (path === "/api/inngest") return handler(req, res);
  res.writeHead(404, { "Content-Type": "application/json" });
  res.end('{"message":"not found"}');
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});

for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
