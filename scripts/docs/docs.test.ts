/**
 * The docs check: what README.md and docs/*.md claim that a machine can
 * check, against the code (conventions in docs/development.md, "The docs
 * check"). Every CLI command names a function of the app it is for, with
 * arguments its validator accepts; every signature lists its arguments;
 * every library name imported or called exists; every constant cited
 * exists with the figure given; every error code listed is one the code
 * throws, and the codes table lists them all.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import ts from "typescript";
import { beforeAll, describe, expect, test } from "vitest";
import {
  type App,
  commandsIn,
  constantsIn,
  type Doc,
  importsIn,
  membersIn,
  type Place,
  readDocs,
  signaturesIn,
  tableNames,
} from "./docsCheck";
import { checkValue, type ValidatorJson } from "./validatorJson";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const LIBRARY = join(ROOT, "packages/convex-auth-user-sync/src");

/** Names the docs cite that are no library export: the environment's. */
const ENVIRONMENT = new Set([
  "SITE_URL",
  "CONVEX_SITE_URL",
  "JWKS",
  "JWT_PRIVATE_KEY",
  "VITE_CONVEX_URL",
  "AUTH_EMAIL",
  "AUTH_RESEND_KEY",
  "AUTH_GITHUB_ID",
  "AUTH_GITHUB_SECRET",
  "AUTH_GOOGLE_ID",
  "AUTH_GOOGLE_SECRET",
  "SCREENSHOTS_DIR",
  "CHROMIUM_PATH",
  "PAGE_DELAY_MS",
  "FC_RUNS",
  "FC_SEED",
  "FC_CONFORMANCE_RUNS",
  "FC_FOLD_RUNS",
  "FC_FOLD_REPLAY",
  "BENCH_FOLD_SIZES",
  "BENCH_PARTS",
]);

/** The seed's own constants the docs cite, and the module exporting each. */
const SEED_CONSTANTS: Record<string, string> = {
  CASES_PAGE_LIMIT: "reviews",
  AUDIT_PAGE_LIMIT: "reviews",
  AUDIT_RETENTION_DAYS: "crons",
  HISTORY_RETENTION_DAYS: "crons",
};

const where = (p: Place) => `${p.file}:${p.line}`;

type Registered = {
  isInternal?: boolean;
  exportArgs?: () => string;
};

/** An app's function by module and name, or undefined. */
async function functionOf(
  app: App,
  module: string,
  fn: string,
): Promise<Registered | undefined> {
  if (app === "adopted" || app === "v2") {
    // The adoption guide's module: every function userSync.functions()
    // builds, with the profiles example's declaration (the same shape:
    // one app-side reference). The v2 example's `userSync` exports the
    // same functions (their arguments do not depend on the declaration),
    // but its module cannot load here: it needs Convex Auth 2.0.0, and the
    // library under node resolves the workspace's v1.
    if (module !== "userSync") return undefined;
    const { userSync } = (await import(
      join(ROOT, "examples/profiles/convex/sync.ts")
    )) as { userSync: { functions: (builders: never) => unknown } };
    const built = userSync.functions({
      internalMutation: internalMutationGeneric,
      internalQuery: internalQueryGeneric,
      internalAction: internalActionGeneric,
    } as never) as Record<string, Registered>;
    return built[fn];
  }
  const file = join(ROOT, "examples", app, "convex", `${module}.ts`);
  if (!readdirSync(dirname(file)).includes(`${module.split("/").pop()}.ts`)) {
    return undefined;
  }
  const loaded = (await import(file)) as Record<string, Registered>;
  return loaded[fn];
}

/** Every name an entry point exports, types included. */
function exportsOf(files: Record<string, string>): Record<string, Set<string>> {
  const program = ts.createProgram(Object.values(files), {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const result: Record<string, Set<string>> = {};
  for (const [entry, file] of Object.entries(files)) {
    const source = program.getSourceFile(file)!;
    const symbol = checker.getSymbolAtLocation(source)!;
    result[entry] = new Set(
      checker.getExportsOfModule(symbol).map((s) => s.name),
    );
  }
  return result;
}

/** Every code thrown with appError("CODE", …) in the library and examples. */
function thrownCodes(): Set<string> {
  const dirs = [
    LIBRARY,
    join(ROOT, "examples/seed/convex"),
    join(ROOT, "examples/profiles/convex"),
  ];
  const codes = new Set<string>();
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".ts") || name.includes(".test.")) continue;
      const text = readFileSync(join(dir, name), "utf8");
      for (const m of text.matchAll(/appError\(\s*"([A-Z_]+)"/g)) {
        codes.add(m[1]!);
      }
    }
  }
  return codes;
}

let docs: Doc[];
let exported: Record<string, Set<string>>;
let library: Record<string, unknown>;
let internals: Record<string, unknown>;
const doc = (file: string) => docs.find((d) => d.file === file)!;

beforeAll(async () => {
  docs = readDocs(ROOT);
  exported = exportsOf({
    "convex-auth-user-sync": join(LIBRARY, "index.ts"),
    "convex-auth-user-sync/testing": join(LIBRARY, "testing.ts"),
    "convex-auth-user-sync/internals": join(LIBRARY, "internals.ts"),
  });
  library = (await import(join(LIBRARY, "index.ts"))) as Record<
    string,
    unknown
  >;
  internals = (await import(join(LIBRARY, "internals.ts"))) as Record<
    string,
    unknown
  >;
}, 120_000);

describe("the docs' commands", () => {
  test("the adoption guide's steps are left to the adoption script, the rest of its file is checked", () => {
    const guide = doc("docs/adoption.md");
    const read = guide.lines.map((l) => l.text).join("\n");
    expect(read).not.toContain("npx convex run userSync:adoptAppReferences");
    expect(read).toContain("deploy for real");
  });

  test("the README is a front door: at most 250 lines, the guide linked", () => {
    const readme = doc("README.md");
    expect(readme.lines.length).toBeLessThanOrEqual(250);
    expect(readme.lines.map((l) => l.text).join("\n")).toContain(
      "](docs/adoption.md)",
    );
  });

  test("every npx convex run names an internal function of its app, with arguments its validator accepts", async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const d of docs) {
      for (const c of commandsIn(d)) {
        checked++;
        const f = await functionOf(c.app, c.module, c.fn);
        const name = `${c.module}:${c.fn} (${c.app})`;
        if (f?.exportArgs === undefined) {
          problems.push(`${where(c)}: ${name} does not exist`);
          continue;
        }
        if (f.isInternal !== true) {
          problems.push(`${where(c)}: ${name} is public, not run from the CLI`);
        }
        let args: unknown;
        try {
          args = JSON.parse(c.args ?? "{}");
        } catch {
          problems.push(`${where(c)}: ${name}'s arguments are not JSON`);
          continue;
        }
        const refusal = checkValue(
          args,
          JSON.parse(f.exportArgs()) as ValidatorJson,
        );
        if (refusal !== null) {
          problems.push(`${where(c)}: ${name} refuses ${c.args}: ${refusal}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  test("every `module:function { … }` lists exactly its arguments, optional ones with ?", async () => {
    const problems: string[] = [];
    for (const d of docs) {
      for (const s of signaturesIn(d)) {
        const f = await functionOf(s.app, s.module, s.fn);
        const name = `${s.module}:${s.fn} (${s.app})`;
        if (f?.exportArgs === undefined) {
          problems.push(`${where(s)}: ${name} does not exist`);
          continue;
        }
        const validator = JSON.parse(f.exportArgs()) as ValidatorJson;
        const fields =
          validator.type === "object"
            ? (validator.value as Record<string, { optional: boolean }>)
            : {};
        const listed = new Map(s.args.map((a) => [a.name, a.optional]));
        for (const [field, { optional }] of Object.entries(fields)) {
          if (!listed.has(field)) {
            problems.push(`${where(s)}: ${name} also takes ${field}`);
          } else if (listed.get(field) !== optional) {
            problems.push(
              `${where(s)}: ${name}'s ${field} is ${optional ? "optional" : "required"}`,
            );
          }
        }
        for (const arg of listed.keys()) {
          if (!(arg in fields)) {
            problems.push(`${where(s)}: ${name} takes no ${arg}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the docs' library names", () => {
  test("every name imported from the library in a code block is exported by that entry point", () => {
    const problems = docs
      .flatMap(importsIn)
      .filter((i) => !exported[i.entry]?.has(i.name))
      .map((i) => `${where(i)}: ${i.entry} exports no ${i.name}`);
    expect(problems).toEqual([]);
  });

  test("every userSync.name, and every name api.md's UserSync tables list, is a member of UserSync", () => {
    const { UserSync } = library as {
      UserSync: { prototype: object };
    };
    const members = new Set([
      ...Object.getOwnPropertyNames(UserSync.prototype),
      "shape",
    ]);
    const api = doc("docs/api.md");
    const named = [
      ...docs.flatMap(membersIn),
      ...tableNames(api, "### Wiring"),
      ...tableNames(api, "### Runs"),
      ...tableNames(api, "### Review queue, resolutions, audit"),
      ...tableNames(api, "### Steps for the app's own functions"),
    ];
    const problems = named
      .filter((m) => !members.has(m.name))
      .map((m) => `${where(m)}: UserSync has no ${m.name}`);
    expect(problems).toEqual([]);
    expect(named.length).toBeGreaterThan(30);
  });

  test("every name api.md's other exports and testing.md's tables list is exported", () => {
    const api = doc("docs/api.md");
    const root = exported["convex-auth-user-sync"]!;
    const internal = exported["convex-auth-user-sync/internals"]!;
    const problems = [
      ...tableNames(api, "## Other exports")
        .filter((n) => !root.has(n.name))
        .map((n) => `${where(n)}: the root exports no ${n.name}`),
      ...tableNames(api, "### `convex-auth-user-sync/internals`")
        .filter((n) => !internal.has(n.name))
        .map((n) => `${where(n)}: /internals exports no ${n.name}`),
      ...tableNames(doc("docs/testing.md"), "# Testing your app with the sync")
        .filter((n) => !exported["convex-auth-user-sync/testing"]!.has(n.name))
        .map((n) => `${where(n)}: /testing exports no ${n.name}`),
    ];
    expect(problems).toEqual([]);
  });

  test("every constant cited is exported (or the environment's), with the figure given", async () => {
    const { ERROR_CODES } = library as { ERROR_CODES: Record<string, string> };
    const values: Record<string, unknown> = { ...internals, ...library };
    for (const [name, module] of Object.entries(SEED_CONSTANTS)) {
      const loaded = (await import(
        join(ROOT, "examples/seed/convex", `${module}.ts`)
      )) as Record<string, unknown>;
      values[name] = loaded[name];
    }
    const problems: string[] = [];
    for (const c of docs.flatMap(constantsIn)) {
      if (c.name in ERROR_CODES || ENVIRONMENT.has(c.name)) continue;
      if (!(c.name in values) || values[c.name] === undefined) {
        problems.push(`${where(c)}: ${c.name} is no export nor error code`);
      } else if (
        c.figure !== undefined &&
        typeof values[c.name] === "number" &&
        values[c.name] !== c.figure
      ) {
        problems.push(
          `${where(c)}: ${c.name} is ${String(values[c.name])}, not ${c.figure}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the docs' error codes", () => {
  test("api.md's table lists exactly ERROR_CODES, and the code throws each", () => {
    const { ERROR_CODES } = library as { ERROR_CODES: Record<string, string> };
    const listed = tableNames(doc("docs/api.md"), "### Errors").map(
      (n) => n.name,
    );
    expect([...listed].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const thrown = thrownCodes();
    expect(listed.filter((code) => !thrown.has(code))).toEqual([]);
  });
});
