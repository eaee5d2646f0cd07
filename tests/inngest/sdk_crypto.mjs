// sdk_crypto.mjs - what the official SDK computes, for the C test to
// compare with its own: step-id hashes (including the ids it gives repeated
// steps), request signatures, the hashed signing key (the API bearer) and
// the event key's hash.
// Usage: node sdk_crypto.mjs < INPUT.json > OUTPUT.json, where INPUT is
//   {"sequence": [step ids in the order a body uses them],
//    "signs": [{"key", "body", "t"}], "keys": [signing keys], "event_keys": [...]}
import { InngestExecutionEngine } from "inngest/internals";
import { readFileSync } from "node:fs";

// The helpers the SDK signs and hashes with are not in its public exports:
// load them from the package's files.
const root = new URL("../node_modules/inngest/", import.meta.url);
const { signDataWithKey } = await import(new URL("helpers/net.js", root));
const { hashSigningKey, hashEventKey } = await import(new URL("helpers/strings.js", root));
const { hashId, resolveStepIdCollision } = InngestExecutionEngine._internals;

const input = JSON.parse(readFileSync(0, "utf8"));
const stepsMap = new Map();
const expectedIndexes = new Map();
const steps = input.sequence.map((baseId) => {
  const { finalId } = resolveStepIdCollision({ baseId, expectedIndexes, stepsMap });
  const hash = hashId(finalId);
  stepsMap.set(hash, true);
  return { id: finalId, hash };
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const signatures = [];
for (const s of input.signs) signatures.push(await signDataWithKey(s.body, s.key, String(s.t), quiet));
process.stdout.write(
  JSON.stringify({
    steps,
    signatures,
    hashed_keys: input.keys.map((k) => hashSigningKey(k)),
    event_key_hashes: input.event_keys.map((k) => hashEventKey(k)),
  }) + "\n",
);
