// Follows the adoption guide ("Add to an existing app", docs/adoption.md), step by step, on a
// copy of fixtures/minimal-app (a Convex Auth app that is not one of the
// examples), then runs Convex's own typecheck and the app's own tests, plus
// scripts/adoption/adopted.test.ts. A guide that drifts from the code fails.
//
//   node scripts/adopt.mjs [guide.md (docs/adoption.md)] [--pin name@version]…
//                          [--label name]
//                          [--expect-refusal typecheck|load] [--built]
//
// The app is `.adoption/<label>/my-app`, with its own node_modules installed
// from the registry (npm's cache first); this checkout stands for the
// guide's clone, `.adoption/<label>/convex-auth-user-sync`. `--pin` installs
// that version instead of the app's or the guide's (scripts/version-matrix.mjs
// runs the guide on the floor and latest versions); `--expect-refusal` runs
// an unsupported Convex Auth, which must be refused, naming the version
// needed, by the typecheck of `npx convex dev` or when the sync's module
// loads (scripts/adoption/unsupported.test.ts). The result, with the
// versions installed, is written to `.adoption/<label>/result.json`.
//
// The guide's blocks between <!-- adopt:begin --> and <!-- adopt:end -->:
// - ```ts starting with `// convex/<file>`: a new file;
// - ```diff: applied with `git apply` (exact context, or it fails);
// - ```sh: each command: `cd` between the app and the clone; in the clone
//   `npm ci` is skipped (this checkout is installed), `npm run build` runs
//   (skipped with --built) and `npm pack` runs as written; in the app
//   `npm install` runs as written (its peers' ranges must be the library's);
//   `npx convex dev --once` becomes the same codegen and typecheck, offline;
//   `npx convex run f` and `npx convex run f '{json}'` calls are made by the
//   check, in order, with their JSON argument (a "…" in it stands for a
//   value the previous command answered: the check fills it in, as the
//   guide tells the reader to). `adoptAppReferences` must come before the
//   deploy that turns on the sync's callbacks or triggers: a person who
//   signed in in between would get a new row beside their old one.
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();

// The command line.
let guidePath = join(root, "docs", "adoption.md");
let label = "guide";
let expectRefusal;
let built = false;
/** name -> version: installed instead of the app's or the guide's. */
const pins = new Map();
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === "--pin") {
    const spec = argv[++i] ?? "";
    const at = spec.lastIndexOf("@");
    if (at <= 0) throw new Error(`--pin takes name@version, not ${spec}`);
    pins.set(spec.slice(0, at), spec.slice(at + 1));
  } else if (arg === "--label") label = argv[++i];
  else if (arg === "--expect-refusal") expectRefusal = argv[++i];
  else if (arg === "--built") built = true;
  else guidePath = resolve(arg);
}
if (![undefined, "typecheck", "load"].includes(expectRefusal)) {
  throw new Error(
    `--expect-refusal is typecheck or load, not ${expectRefusal}`,
  );
}
const work = join(root, ".adoption", label);
const app = join(work, "my-app");
const clone = join(work, "convex-auth-user-sync");
const library = JSON.parse(
  readFileSync(
    join(root, "packages", "convex-auth-user-sync", "package.json"),
    "utf8",
  ),
);
const pinned = new Set();

/**
 * A peer range's first part: Convex Auth's is v1's and v2's
 * (`>=0.0.91 <0.1.0 || ^2.0.0`); the guide adopts a v1 app, and refuses
 * name v1's. Any other range is one part.
 */
function v1Part(range) {
  return range?.split("||")[0].trim();
}
const packed = [];

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: "inherit", ...options });
}

/** npm install in the app, from npm's cache when it has the version. */
function npmInstall(args) {
  run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...args,
    ],
    { cwd: app },
  );
}

/** Vitest on the app, with its own config (vitest.config.ts in the copy). */
function appTests(env = {}, files = []) {
  run("npx", ["vitest", "run", "--root", app, ...files], {
    cwd: root,
    env: { ...process.env, ...env },
  });
}

// 1. A fresh copy of the app, installed as its package.json says (with the
//    pinned versions), whose own tests pass before anything changes. The
//    clone the guide builds the library in is this checkout.
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
symlinkSync(relative(work, root), clone);
cpSync(join(root, "fixtures", "minimal-app"), app, {
  recursive: true,
  filter: (source) => !source.includes("node_modules"),
});
{
  // The copy sits deeper than the fixture: its tsconfig's base, re-pointed.
  const tsconfig = join(app, "tsconfig.json");
  const base = relative(app, join(root, "tsconfig.base.json"));
  writeFileSync(
    tsconfig,
    readFileSync(tsconfig, "utf8").replace(
      '"../../tsconfig.base.json"',
      JSON.stringify(base),
    ),
  );
  const appPackage = JSON.parse(
    readFileSync(join(app, "package.json"), "utf8"),
  );
  for (const [name, version] of pins) {
    for (const kind of ["dependencies", "devDependencies"]) {
      if (appPackage[kind]?.[name] !== undefined) {
        appPackage[kind][name] = version;
        pinned.add(name);
      }
    }
  }
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify(appPackage, null, 2)}\n`,
  );
}
console.log(`adopt: installing the app (${label})`);
npmInstall([]);
if (expectRefusal === undefined) {
  console.log("adopt: the app's own tests, before");
  appTests();
}

// 2. The guide's blocks, in order.
const guide = readFileSync(guidePath, "utf8");
const begin = guide.indexOf("<!-- adopt:begin");
const end = guide.indexOf("<!-- adopt:end -->");
if (begin < 0 || end < begin) {
  throw new Error(
    `${guidePath} has no <!-- adopt:begin --> … <!-- adopt:end --> guide`,
  );
}
const blocks = [
  ...guide.slice(begin, end).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm),
].map(([, lang, body]) => ({ lang, body }));
const written = { files: 0, lines: 0 };
const runs = [];
let typechecked = false;

/** The guide's `npm install …`, in the app, as written (pins aside). */
function install(args) {
  const resolved = args.map((arg) => {
    if (arg.startsWith(".") || arg.startsWith("/")) {
      const path = resolve(app, arg);
      if (!existsSync(path)) {
        throw new Error(`The guide installs ${arg}, which is not there`);
      }
      return arg;
    }
    const at = arg.lastIndexOf("@");
    const [name, range] =
      at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, undefined];
    // The guide states each peer's range: the library's own (for Convex
    // Auth, v1's part: the guide adopts a v1 app).
    const peer = v1Part(library.peerDependencies?.[name]);
    if (peer !== undefined && range !== peer) {
      throw new Error(
        `The guide installs ${arg}; the library's peer range is ${name}@${peer}`,
      );
    }
    if (pins.has(name)) {
      pinned.add(name);
      return `${name}@${pins.get(name)}`;
    }
    return arg;
  });
  npmInstall(resolved);
}

/** What the typecheck of `npx convex dev` printed, when it failed. */
let refusedTypecheck;

function convexTypecheck() {
  // Convex's CLI runs node_modules/typescript/bin/tsc from the app.
  const typescript = join(app, "node_modules", "typescript");
  if (!existsSync(typescript)) {
    mkdirSync(dirname(typescript), { recursive: true });
    symlinkSync(
      relative(dirname(typescript), join(root, "node_modules", "typescript")),
      typescript,
    );
  }
  const args = ["convex", "codegen", "--system-udfs", "--typecheck", "enable"];
  if (expectRefusal === undefined) {
    run("npx", args, { cwd: app });
  } else {
    try {
      execFileSync("npx", args, { cwd: app, stdio: "pipe" });
    } catch (error) {
      refusedTypecheck = `${error.stdout}${error.stderr}`;
      console.log(refusedTypecheck);
    }
  }
  typechecked = true;
  const source = (file) =>
    existsSync(join(app, "convex", file))
      ? readFileSync(join(app, "convex", file), "utf8")
      : "";
  syncedDeploy ||=
    source("auth.ts").includes("userSync.callbacks") ||
    source("functions.ts").includes("registerTriggers");
}

/** A deploy so far had the sync's callbacks or triggers on. */
let syncedDeploy = false;

/** A guide's `npx convex run name '{json}'`: its argument must be JSON. */
function convexRun(name, json) {
  if (json === undefined) return { name, args: {} };
  let args;
  try {
    args = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `The guide runs ${name} with an argument that is not JSON: ${json} (${error.message})`,
      { cause: error },
    );
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new Error(`The guide runs ${name} with ${json}: not a JSON object`);
  }
  return { name, args };
}

/** The guide's shell line, in `cwd` (the app or the clone). */
let cwd = app;
function shell(line) {
  const words = line.split(/\s+/);
  const inClone = cwd === clone;
  const running = /^npx convex run (\S+)(?: '([^']*)')?$/.exec(line);
  if (words[0] === "cd" && words.length === 2) {
    cwd = resolve(cwd, words[1]);
    if (cwd !== app && cwd !== clone) {
      throw new Error(
        `The guide changes to ${words[1]}: neither app nor clone`,
      );
    }
  } else if (inClone && line === "npm ci") {
    console.log("adopt:   (this checkout is the clone, installed already)");
  } else if (inClone && line === "npm run build") {
    if (built) console.log("adopt:   (built already, --built)");
    else run("npm", ["run", "build"], { cwd: root });
  } else if (inClone && /^npm pack -w convex-auth-user-sync$/.test(line)) {
    const name = execFileSync("npm", [...words.slice(1), "--silent"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    packed.push(join(root, name));
  } else if (!inClone && words[0] === "npm" && words[1] === "install") {
    install(words.slice(2));
  } else if (!inClone && /^npx convex (dev --once|deploy)$/.test(line)) {
    convexTypecheck();
  } else if (!inClone && running) {
    if (running[1].endsWith(":adoptAppReferences") && syncedDeploy) {
      throw new Error(
        "The guide adopts references after a deploy that syncs sign-ins or app writes: whoever signed in or wrote in between would get a new row beside their old one",
      );
    }
    runs.push(convexRun(running[1], running[2]));
  } else {
    throw new Error(
      `The guide runs \`${line}\` in ${inClone ? "the clone" : "the app"}, which adopt.mjs cannot follow`,
    );
  }
}

try {
  for (const { lang, body } of blocks) {
    switch (lang) {
      case "sh":
        for (const line of body
          .split("\n")
          .map((l) => l.replace(/#.*$/, "").trim())) {
          if (line === "") continue;
          console.log(`adopt: $ ${line}`);
          shell(line);
        }
        break;
      case "ts": {
        const path = /^\/\/ (convex\/[\w/.-]+\.ts)\n/.exec(body)?.[1];
        if (path === undefined) {
          throw new Error(
            `A ts block of the guide names no file: ${body.slice(0, 60)}`,
          );
        }
        console.log(`adopt: new ${path}`);
        mkdirSync(dirname(join(app, path)), { recursive: true });
        writeFileSync(join(app, path), body);
        written.files += 1;
        written.lines += body.split("\n").filter((l) => l.trim() !== "").length;
        break;
      }
      case "diff": {
        const patch = join(work, "step.diff");
        writeFileSync(patch, body);
        console.log(`adopt: patch ${/^\+\+\+ b\/(\S+)/m.exec(body)?.[1]}`);
        // Outside any repository, git apply is a strict `patch`.
        run("git", ["apply", "--verbose", patch], {
          cwd: app,
          env: { ...process.env, GIT_CEILING_DIRECTORIES: work },
        });
        written.files += 1;
        written.lines += body
          .split("\n")
          .filter((l) => /^[+-][^+-]/.test(l)).length;
        break;
      }
      default:
        // A bare block too: nothing in the guide goes unfollowed.
        throw new Error(
          `The guide has a \`${lang || "bare"}\` block adopt.mjs cannot follow`,
        );
    }
  }
} finally {
  // The tarball `npm pack` left in this checkout (the app has its copy).
  for (const file of packed) rmSync(file, { force: true });
  // A link back to the checkout would lead tools that walk it in circles.
  rmSync(clone, { force: true });
}
if (!typechecked)
  throw new Error("The guide never deploys (npx convex dev --once)");
for (const name of pins.keys()) {
  if (!pinned.has(name)) {
    throw new Error(`--pin ${name}: neither the app nor the guide installs it`);
  }
}

/** The versions the app ended with, for the matrix's table. */
function installed() {
  const versions = {};
  for (const name of [
    "convex",
    "@convex-dev/auth",
    "convex-helpers",
    "convex-test",
  ]) {
    const manifest = join(app, "node_modules", name, "package.json");
    if (existsSync(manifest)) {
      versions[name] = JSON.parse(readFileSync(manifest, "utf8")).version;
    }
  }
  return versions;
}

// 3. The adopted app: its own tests still pass, and the sync works; or, on
//    a Convex Auth the sync cannot serve, it is refused with the version.
let outcome;
if (expectRefusal === "typecheck") {
  const needed = `needs @convex-dev/auth ${v1Part(library.peerDependencies["@convex-dev/auth"])}`;
  if (refusedTypecheck === undefined || !refusedTypecheck.includes(needed)) {
    throw new Error(
      `The typecheck of \`npx convex dev\` should have refused this Convex Auth with "${needed}"`,
    );
  }
  outcome = "refused by the typecheck";
} else if (expectRefusal === "load") {
  cpSync(
    join(root, "scripts", "adoption", "unsupported.test.ts"),
    join(app, "convex", "unsupported.test.ts"),
  );
  console.log("adopt: loading the sync's module, which must refuse");
  appTests(
    { ADOPTION_RANGE: v1Part(library.peerDependencies["@convex-dev/auth"]) },
    ["convex/unsupported.test.ts"],
  );
  outcome = "refused at module load";
} else {
  cpSync(
    join(root, "scripts", "adoption", "adopted.test.ts"),
    join(app, "convex", "adopted.test.ts"),
  );
  console.log("adopt: the app's own tests and the adoption check, after");
  appTests({ ADOPTION_RUNS: JSON.stringify(runs) });
  outcome = "adopted";
  console.log(
    `adopt: the guide worked: ${written.lines} lines changed or written in ${written.files} files, ${runs.length} commands run.`,
  );
}
const result = {
  label,
  versions: installed(),
  outcome,
  seconds: Math.round((Date.now() - started) / 1000),
};
writeFileSync(join(work, "result.json"), `${JSON.stringify(result)}\n`);
console.log(
  `adopt: ${label}: ${outcome} on ${JSON.stringify(result.versions)}`,
);
