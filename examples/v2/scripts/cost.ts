/**
 * `npm run bench -w example-v2`: what each Convex Auth v2 sign-in costs with
 * the app's plain callbacks ("v2 alone") beside the sync's, in database
 * operations per transaction, component calls included. The
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
  "alone" | "sync",
  Record<string, Measured>
>;
const cells = (m: Metrics | undefined) =>
  m === undefined
    ? "".padStart(22)
    : `${fmt(m.documentsRead).padStart(6)}${fmt(m.databaseQueries).padStart(8)}${fmt(m.documentsWritten).padStart(8)}`;
const header = `${"reads".padStart(6)}${"ranges".padStart(8)}${"writes".padStart(8)}`;
console.log(
  "\nConvex Auth 2.0.0 sign-ins, each flow and then its transactions: alone (plain\ncreateUser/onSignIn) beside the sync's callbacks (a legacy member claimed by\nthe first sign-in):\n",
);
console.log(
  `${"".padEnd(36)}${"v2 alone".padStart(22)}${"with the sync".padStart(22)}`,
);
console.log(`${"".padEnd(36)}${header}${header}`);
for (const [flow, alone] of Object.entries(measured.alone)) {
  const sync = measured.sync[flow];
  console.log(`${flow.padEnd(36)}${cells(alone.total)}${cells(sync?.total)}`);
  alone.steps.forEach(({ name, metrics }, i) => {
    console.log(
      `${`  ${name}`.padEnd(36)}${cells(metrics)}${cells(sync?.steps[i]?.metrics)}`,
    );
  });
}
console.log(
  "\nNot measured: GitHub's callback (an HTTP action of the GitHub component;\n" +
    "its two transactions run inside the component, out of `measure`'s reach).",
);
