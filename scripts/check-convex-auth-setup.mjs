// `npx @convex-dev/auth` checks an app's convex/ files against its own
// templates and stops to ask when one differs. This runs the same checks,
// with the templates and the matcher read from the installed CLI, on every
// app in the workspace, so a drift fails CI instead of a first deploy.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

process.chdir(fileURLToPath(new URL("..", import.meta.url)));

// Hoisted by npm workspaces: one copy, the one every app runs.
const cli = readFileSync("node_modules/@convex-dev/auth/dist/bin.cjs", "utf8");

/** The `sourceTemplate` literal inside the CLI's step `name`. */
function template(step) {
  const start = cli.indexOf(`async function ${step}(`);
  const match = /const sourceTemplate = `([^`]*)`;/.exec(cli.slice(start));
  if (start < 0 || match === null) {
    throw new Error(`@convex-dev/auth's CLI no longer has ${step}'s template`);
  }
  return match[1];
}

// The CLI's doesAlreadyMatchTemplate, verbatim in behaviour.
function matches(existing, sourceTemplate) {
  return new RegExp(
    sourceTemplate
      .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\\\$\\\$/g, ".*")
      .replace(/;\n/g, ";.*"),
    "s",
  ).test(existing);
}
if (
  !cli.includes('.replace(/\\\\\\$\\\\\\$/g, ".*").replace(/;\\n/g, ";.*")')
) {
  throw new Error("@convex-dev/auth's CLI matches templates differently now");
}

const files = [
  ["auth.config.ts", template("configureAuthConfig")],
  ["auth.ts", template("initializeAuth")],
  ["http.ts", template("configureHttp")],
];
// An app with its own copy of Convex Auth (examples/v2, on 2.0.0, which has
// no CLI and no such templates) is not checked against the root's 0.0.x.
const apps = ["examples", "fixtures"].flatMap((parent) =>
  existsSync(parent)
    ? readdirSync(parent)
        .filter(
          (name) =>
            !existsSync(
              path.join(parent, name, "node_modules/@convex-dev/auth"),
            ),
        )
        .map((name) => path.join(parent, name, "convex"))
    : [],
);
let failures = 0;
for (const convexDir of apps.filter((dir) => existsSync(dir))) {
  for (const [file, sourceTemplate] of files) {
    const source = readFileSync(path.join(convexDir, file), "utf8");
    if (!matches(source, sourceTemplate)) {
      console.error(`${convexDir}/${file} differs from Convex Auth's template`);
      failures += 1;
    }
  }
  const tsconfig = readFileSync(path.join(convexDir, "tsconfig.json"), "utf8");
  if (
    !/"moduleResolution"\s*:\s*"Bundler"/i.test(tsconfig) ||
    !/"skipLibCheck"\s*:\s*true/.test(tsconfig)
  ) {
    console.error(`${convexDir}/tsconfig.json is not set up for Convex Auth`);
    failures += 1;
  }
}
if (failures > 0) process.exit(1);
console.log(`npx @convex-dev/auth finds ${apps.length} apps already set up.`);
