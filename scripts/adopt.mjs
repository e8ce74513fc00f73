// Follows the README's "Add to an existing app" guide, step by step, on a
// copy of fixtures/minimal-app (a Convex Auth app that is not one of the
// examples), then runs Convex's own typecheck and the app's own tests, plus
// scripts/adoption/adopted.test.ts. A guide that drifts from the code fails.
//
//   node scripts/adopt.mjs [guide.md]
//
// The guide's blocks between <!-- adopt:begin --> and <!-- adopt:end -->:
// - ```ts starting with `// convex/<file>`: a new file;
// - ```diff: applied with `git apply` (exact context, or it fails);
// - ```sh: each command, offline: `npm install` puts the library's packed
//   tarball in the app's node_modules (other packages must already be in the
//   workspace); `npx convex dev --once` becomes the same codegen and
//   typecheck, offline; `npx convex run f` and `npx convex run f '{json}'`
//   calls are made by the check, in order, with their JSON argument (a "…"
//   in it stands for a value the previous command answered: the check fills
//   it in, as the guide tells the reader to).
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
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const guidePath = process.argv[2] ?? join(root, "README.md");
const work = join(root, ".adoption");
const app = join(work, "minimal-app");

function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: "inherit", ...options });
}

/** Vitest on the app, with its own config (vitest.config.ts in the copy). */
function appTests(env = {}) {
  run("npx", ["vitest", "run", "--root", app], {
    cwd: root,
    env: { ...process.env, ...env },
  });
}

// 1. A fresh copy of the app, whose own tests pass before anything changes.
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(root, "fixtures", "minimal-app"), app, {
  recursive: true,
  filter: (source) => !source.includes("node_modules"),
});
console.log("adopt: the app's own tests, before");
appTests();

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

function install(packages) {
  const appPackage = JSON.parse(
    readFileSync(join(app, "package.json"), "utf8"),
  );
  for (const name of packages) {
    if (name === "convex-auth-user-sync") {
      // The library as published: `npm pack`'s tarball, unpacked in place.
      const packed = execFileSync(
        "npm",
        ["pack", "-w", name, "--pack-destination", work, "--silent"],
        { cwd: root, encoding: "utf8" },
      ).trim();
      const target = join(app, "node_modules", name);
      mkdirSync(target, { recursive: true });
      run("tar", [
        "-xzf",
        join(work, packed),
        "-C",
        target,
        "--strip-components=1",
      ]);
    } else if (!existsSync(join(root, "node_modules", name, "package.json"))) {
      throw new Error(
        `The guide installs ${name}, which the workspace does not have`,
      );
    }
    const manifest = existsSync(join(app, "node_modules", name))
      ? join(app, "node_modules", name, "package.json")
      : join(root, "node_modules", name, "package.json");
    const { version } = JSON.parse(readFileSync(manifest, "utf8"));
    appPackage.dependencies[name] = `^${version}`;
  }
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify(appPackage, null, 2)}\n`,
  );
}

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
  run("npx", ["convex", "codegen", "--system-udfs", "--typecheck", "enable"], {
    cwd: app,
  });
  typechecked = true;
}

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

for (const { lang, body } of blocks) {
  switch (lang) {
    case "sh":
      for (const line of body
        .split("\n")
        .map((l) => l.replace(/#.*$/, "").trim())) {
        if (line === "") continue;
        console.log(`adopt: $ ${line}`);
        const installing = /^npm install (.+)$/.exec(line);
        const running = /^npx convex run (\S+)(?: '([^']*)')?$/.exec(line);
        if (installing) install(installing[1].split(/\s+/));
        else if (/^npx convex (dev --once|deploy)$/.test(line))
          convexTypecheck();
        else if (running) runs.push(convexRun(running[1], running[2]));
        else
          throw new Error(
            `The guide runs \`${line}\`, which adopt.mjs cannot follow`,
          );
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
if (!typechecked)
  throw new Error("The guide never deploys (npx convex dev --once)");

// 3. The adopted app: its own tests still pass, and the sync works.
cpSync(
  join(root, "scripts", "adoption", "adopted.test.ts"),
  join(app, "convex", "adopted.test.ts"),
);
console.log("adopt: the app's own tests and the adoption check, after");
appTests({ ADOPTION_RUNS: JSON.stringify(runs) });
console.log(
  `adopt: the guide worked: ${written.lines} lines changed or written in ${written.files} files, ${runs.length} commands run.`,
);
