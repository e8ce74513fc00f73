/**
 * What the docs claim that a machine can check, read out of README.md and
 * docs/*.md (see docs/development.md, "The docs check", for the
 * conventions): the CLI commands and function signatures they show, the
 * library names they import or call, and the constants and error codes
 * they cite. Pure: reading the files and parsing them; docs.test.ts checks
 * each claim against the code.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** An app the docs name commands of. */
export type App = "seed" | "profiles" | "v2" | "adopted";

/** Where a claim was made, for the failure message. */
export type Place = { file: string; line: number };

/** `npx convex run module:function '{json}'`. */
export type Command = Place & {
  app: App;
  module: string;
  fn: string;
  args: string | undefined;
};

/** `module:function { a, b? }`: the function's arguments, all of them. */
export type Signature = Place & {
  app: App;
  module: string;
  fn: string;
  args: { name: string; optional: boolean }[];
};

/** One doc, its lines as checked (the adoption guide's steps left out). */
export type Doc = { file: string; lines: { text: string; app: App }[] };

/** A line of its own: `<!-- docs-check: app=profiles -->`, `off` or `on`. */
const MARKER =
  /^<!-- docs-check: (?:app=(seed|profiles|v2|adopted)|(off|on)) -->$/;

/**
 * README.md and every docs/*.md. Lines between `adopt:begin` and
 * `adopt:end` are left out (the adoption script runs that guide itself),
 * and so are lines between `<!-- docs-check: off -->` and `on`; a
 * `<!-- docs-check: app=… -->` line sets the app of the lines after it.
 */
export function readDocs(root: string): Doc[] {
  const files = [
    "README.md",
    ...readdirSync(join(root, "docs"))
      .filter((name) => name.endsWith(".md"))
      .sort()
      .map((name) => `docs/${name}`),
  ];
  return files.map((file) => {
    let app: App = "seed";
    let skipped = false;
    const lines = readFileSync(join(root, file), "utf8")
      .split("\n")
      .map((text) => {
        const marker = MARKER.exec(text.trim());
        if (marker?.[1] !== undefined) app = marker[1] as App;
        if (marker?.[2] !== undefined) skipped = marker[2] === "off";
        if (text.startsWith("<!-- adopt:begin")) skipped = true;
        if (text.startsWith("<!-- adopt:end")) skipped = false;
        return { text: skipped ? "" : text, app };
      });
    return { file, lines };
  });
}

/** Every `npx convex run module:function ['{json}']`. */
export function commandsIn(doc: Doc): Command[] {
  const found: Command[] = [];
  doc.lines.forEach(({ text, app }, i) => {
    for (const m of text.matchAll(
      /npx convex run (?:--[\w-]+ )*([\w/]+):(\w+)(?: '([^']*)')?/g,
    )) {
      found.push({
        file: doc.file,
        line: i + 1,
        app,
        module: m[1]!,
        fn: m[2]!,
        args: m[3],
      });
    }
  });
  return found;
}

/**
 * Every `` `module:function { a, b?, c? | d? }` ``: each name an argument,
 * `?` optional, `|` alternatives (each listed with its own `?`).
 */
export function signaturesIn(doc: Doc): Signature[] {
  const found: Signature[] = [];
  doc.lines.forEach(({ text, app }, i) => {
    for (const m of text.matchAll(/`([\w/]+):(\w+) \{([^}`]*)\}`/g)) {
      const args = m[3]!
        .replaceAll("\\|", "|")
        .split(/[,|]/)
        .map((item) => item.trim())
        .filter((item) => item !== "" && item !== "…")
        .map((item) => ({
          name: item.replace(/\?$/, ""),
          optional: item.endsWith("?"),
        }));
      found.push({
        file: doc.file,
        line: i + 1,
        app,
        module: m[1]!,
        fn: m[2]!,
        args,
      });
    }
  });
  return found;
}

/** The names imported from the library in the docs' code blocks. */
export function importsIn(
  doc: Doc,
): (Place & { entry: string; name: string })[] {
  const text = doc.lines.map((l) => l.text).join("\n");
  const found: (Place & { entry: string; name: string })[] = [];
  for (const m of text.matchAll(
    /import (?:type )?\{([^}]*)\} from "(convex-auth-user-sync(?:\/\w+)?)"/g,
  )) {
    const line = text.slice(0, m.index).split("\n").length;
    for (const item of m[1]!.split(",")) {
      const name = item.replace(/^\s*type\s+/, "").trim();
      if (name !== "") {
        found.push({ file: doc.file, line, entry: m[2]!, name });
      }
    }
  }
  return found;
}

/** Every `userSync.name` (a method or property of UserSync). */
export function membersIn(doc: Doc): (Place & { name: string })[] {
  const found: (Place & { name: string })[] = [];
  doc.lines.forEach(({ text }, i) => {
    for (const m of text.matchAll(/(?<![.\w/])userSync\.(?!ts\b)(\w+)/g)) {
      found.push({ file: doc.file, line: i + 1, name: m[1]! });
    }
  });
  return found;
}

/**
 * The identifiers a table's first column names in backticks (outside link
 * text), in the lines under `heading` up to the next heading.
 */
export function tableNames(
  doc: Doc,
  heading: string,
): (Place & { name: string })[] {
  const found: (Place & { name: string })[] = [];
  let inside = false;
  doc.lines.forEach(({ text }, i) => {
    if (/^#+ /.test(text)) inside = text === heading;
    if (!inside || !text.startsWith("|")) return;
    const first = text.split(/(?<!\\)\|/)[1] ?? "";
    const withoutLinks = first.replace(/\[[^\]]*\]\([^)]*\)/g, "");
    for (const m of withoutLinks.matchAll(/`([A-Za-z_$][\w$]*)/g)) {
      found.push({ file: doc.file, line: i + 1, name: m[1]! });
    }
  });
  return found;
}

/** Every backticked ALL_CAPS name (an error code, a constant, a variable). */
export function constantsIn(
  doc: Doc,
): (Place & { name: string; figure: number | undefined })[] {
  const found: (Place & { name: string; figure: number | undefined })[] = [];
  doc.lines.forEach(({ text }, i) => {
    for (const m of text.matchAll(
      /`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})`(?:,? \(?(\d[\d,]*)\b(?![\d,]*\s*(?:ms|days?|%)))?/g,
    )) {
      found.push({
        file: doc.file,
        line: i + 1,
        name: m[1]!,
        figure:
          m[2] === undefined ? undefined : Number(m[2].replaceAll(",", "")),
      });
    }
  });
  return found;
}
