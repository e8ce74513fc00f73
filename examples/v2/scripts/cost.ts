/**
 * `npm run bench -w example-v2`: what each Convex Auth v2 sign-in costs with
 * the app's plain callbacks ("v2 alone", the baseline for the sync's), in
 * database operations per transaction, component calls included. The
 * harness needs Vite's transforms (Convex Auth's test helpers use
 * `import.meta.glob`; passwords hash in WASM), so this runs
 * convex/cost.test.ts under vitest (project v2) and prints what it measured.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startVitest } from "vitest/node";
import type { Metrics } from "convex-auth-user-sync";
import { fmt } from "../../../dev/cost";

type Measured = {
  steps: { name: string; metrics: Metrics }[];
  total: Metrics;
};

const out = join(mkdtempSync(join(tmpdir(), "v2-cost-")), "cost.json");
process.env.V2_COST_OUT = out;
const root = join(import.meta.dirname, "..", "..", "..");
// The workspace's vitest.config.ts, whose project v2 the test runs in.
process.chdir(root);
const vitest = await startVitest("test", ["examples/v2/convex/cost.test.ts"], {
  root,
  project: ["v2"],
  watch: false,
  reporters: ["dot"],
});
await vitest.close();
if (process.exitCode) process.exit(process.exitCode);

const measured = JSON.parse(readFileSync(out, "utf8")) as Record<
  string,
  Measured
>;
const row = (name: string, m: Metrics) =>
  `${name.padEnd(34)}${fmt(m.documentsRead).padStart(6)}${fmt(m.databaseQueries).padStart(8)}${fmt(m.documentsWritten).padStart(9)}${fmt(m.bytesRead).padStart(9)}${fmt(m.bytesWritten).padStart(9)}`;
console.log(
  "\nConvex Auth 2.0.0 alone (plain createUser/onSignIn): each flow, then its transactions:\n",
);
console.log(
  `${"".padEnd(34)}${"reads".padStart(6)}${"ranges".padStart(8)}${"writes".padStart(9)}${"B read".padStart(9)}${"B wrote".padStart(9)}`,
);
for (const [flow, { steps, total }] of Object.entries(measured)) {
  console.log(row(flow, total));
  for (const { name, metrics } of steps) console.log(row(`  ${name}`, metrics));
}
console.log(
  "\nNot measured: GitHub's callback (an HTTP action of the GitHub component;\n" +
    "its two transactions run inside the component, out of `measure`'s reach).",
);
