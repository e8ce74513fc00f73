// The version matrix: scripts/adopt.mjs follows the adoption guide (docs/adoption.md) on
// fixtures/minimal-app installed with the floor of every peer range and with
// the newest versions inside them; both must adopt (a sign-up makes the
// pair, the app's writes reach users, the bulk run and the drift report
// work). Then with a Convex Auth outside the range, just below it (0.0.90)
// and v2, which must be refused, naming the version needed. See
// docs/compatibility.md.
//
//   node scripts/version-matrix.mjs [--built]
//
// npm itself refuses to install a Convex Auth outside the peer range
// (ERESOLVE); the refusals are checked past that, as pnpm and yarn (which
// only warn) or `npm install --legacy-peer-deps` would install it.
//
// Installs come from the npm registry, through npm's cache. The floors are
// the peer ranges' lower bounds (the library's package.json); the newest
// versions are asked of the registry on each run, so a release inside the
// ranges that breaks the sync fails here first.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();
const range = JSON.parse(
  readFileSync(
    join(root, "packages", "convex-auth-user-sync", "package.json"),
    "utf8",
  ),
).peerDependencies;

// The matrix adopts a v1 app (the adoption guide's): Convex Auth's range is
// v1's part of the peer range (`>=0.0.91 <0.1.0 || ^2.0.0`); v2 is the
// entry that must be refused for a v1 declaration.
range["@convex-dev/auth"] = range["@convex-dev/auth"].split("||")[0].trim();

/** A range's lower bound: `^1.35.0` and `>=0.0.91 <0.1.0` alike. */
function floor(name) {
  const version = /\d+\.\d+\.\d+/.exec(range[name])?.[0];
  if (version === undefined) throw new Error(`${name}: no floor in ${range}`);
  return version;
}

/** [major, minor, patch] of a plain version; null for a prerelease. */
function parts(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return match === null ? null : match.slice(1).map(Number);
}

function compare(a, b) {
  const [x, y] = [parts(a), parts(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** Whether this Node satisfies an `engines.node` of the form `>=x.y.z`. */
function nodeRuns(engines) {
  const floor = /^>=\s*(\d+\.\d+\.\d+)$/.exec(engines?.node ?? "")?.[1];
  return floor === undefined || compare(process.versions.node, floor) >= 0;
}

/** Newer versions this Node cannot run, for the table's footnote. */
const skipped = [];

/**
 * The newest published version of `name` matching `spec` that this Node
 * runs (npm's list is in publication order, not version order).
 */
function newest(name, spec) {
  const found = JSON.parse(
    execFileSync(
      "npm",
      ["view", `${name}@${spec}`, "version", "engines", "--json"],
      { encoding: "utf8" },
    ),
  );
  const versions = [found]
    .flat()
    .map((entry) =>
      typeof entry === "string" ? { version: entry } : (entry ?? {}),
    )
    .filter(({ version }) => version && parts(version) !== null)
    .sort((a, b) => compare(a.version, b.version));
  const runnable = versions.filter(({ engines }) => nodeRuns(engines));
  if (runnable.length === 0) throw new Error(`No ${name}@${spec} runs here`);
  const chosen = runnable.at(-1).version;
  const newer = versions.filter(({ version }) => compare(version, chosen) > 0);
  if (newer.length > 0) {
    skipped.push(
      `${name} ${newer.map(({ version }) => version).join(", ")} (engines: node ${newer[0].engines?.node})`,
    );
  }
  return chosen;
}

const peers = ["convex", "@convex-dev/auth", "convex-helpers"];
const floors = Object.fromEntries(peers.map((name) => [name, floor(name)]));
const latest = Object.fromEntries(
  peers.map((name) => [name, newest(name, range[name])]),
);
const entries = [
  {
    label: "floor",
    // convex-test 0.0.55 and later need convex 1.43; 0.0.54 admits 1.35.
    pins: { ...floors, "convex-test": "0.0.54" },
    expect: "adopts",
  },
  {
    label: "latest",
    // npm refuses (ERESOLVE) a convex-test whose peer range is not met.
    pins: { ...latest, "convex-test": newest("convex-test", "latest") },
    expect: "adopts",
  },
  {
    label: "auth-0.0.90",
    pins: { ...latest, "@convex-dev/auth": "0.0.90" },
    expect: "typecheck",
  },
  {
    label: "auth-v2",
    pins: { ...latest, "@convex-dev/auth": newest("@convex-dev/auth", "2") },
    expect: "load",
  },
];
// The pins of the last entries carry the latest convex-test too.
for (const entry of entries.slice(2)) {
  entry.pins["convex-test"] = entries[1].pins["convex-test"];
}

const results = [];
for (const entry of entries) {
  const args = [join(root, "scripts", "adopt.mjs"), "--label", entry.label];
  if (process.argv.includes("--built")) args.push("--built");
  for (const [name, version] of Object.entries(entry.pins)) {
    args.push("--pin", `${name}@${version}`);
  }
  if (entry.expect !== "adopts") args.push("--expect-refusal", entry.expect);
  console.log(`\nversion-matrix: ${entry.label}`);
  const at = Date.now();
  const { status } = spawnSync("node", args, {
    cwd: root,
    stdio: "inherit",
    env:
      entry.expect === "adopts"
        ? process.env
        : { ...process.env, npm_config_legacy_peer_deps: "true" },
  });
  let result;
  try {
    result = JSON.parse(
      readFileSync(join(root, ".adoption", entry.label, "result.json"), "utf8"),
    );
  } catch {
    result = { versions: {}, outcome: "FAILED" };
  }
  results.push({
    ...entry,
    ...result,
    ok: status === 0,
    seconds: Math.round((Date.now() - at) / 1000),
  });
  if (status !== 0) break; // the table below says what ran
}

const columns = ["convex", "@convex-dev/auth", "convex-helpers", "convex-test"];
const rows = [
  ["run", ...columns, "expected", "result", "s"],
  ...results.map((r) => [
    r.label,
    ...columns.map((name) => r.versions[name] ?? `(${r.pins[name]})`),
    r.expect === "adopts" ? "adopts" : `refused (${r.expect})`,
    r.ok ? r.outcome : "FAILED",
    String(r.seconds),
  ]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log("\nversion-matrix: the adoption guide on fixtures/minimal-app");
for (const row of rows) {
  console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
}
const total = Math.round((Date.now() - started) / 1000);
if (skipped.length > 0) {
  console.log(
    `version-matrix: not run on Node ${process.versions.node}, which they do not support: ${skipped.join("; ")}`,
  );
}
const failed = results.length < entries.length || results.some((r) => !r.ok);
console.log(
  `version-matrix: ${failed ? "FAILED" : "passed"} in ${total} s (peer ranges: ${peers.map((name) => `${name}@"${range[name]}"`).join(", ")})`,
);
if (failed) process.exit(1);
