/**
 * The package explains itself from the npm page: every link of its README
 * and its `homepage` is an unpkg URL of this very version, to a file the
 * packed tarball holds (the docs ship in it, see copy-docs.mjs), and to a
 * heading that file has.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const PACKAGE = join(ROOT, "packages/convex-auth-user-sync");

/** GitHub's anchor of a heading. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replaceAll(" ", "-");

test("the package README's links and homepage name files the tarball holds, at this version", () => {
  const manifest = JSON.parse(
    readFileSync(join(PACKAGE, "package.json"), "utf8"),
  ) as { name: string; version: string; homepage: string };
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--silent"], {
      cwd: PACKAGE,
      encoding: "utf8",
    }),
  ) as [{ files: { path: string }[] }];
  const files = new Set(packed[0].files.map((f) => f.path));

  const readme = readFileSync(join(PACKAGE, "README.md"), "utf8");
  const links = [
    ...[...readme.matchAll(/\]\((https?:[^)\s]+)\)/g)].map((m) => m[1]!),
    manifest.homepage,
  ];
  expect(links.length).toBeGreaterThan(5);
  const prefix = `https://unpkg.com/${manifest.name}@${manifest.version}/`;
  const problems: string[] = [];
  for (const link of links) {
    if (link === "https://labs.convex.dev/auth") continue;
    if (!link.startsWith(prefix)) {
      problems.push(`${link}: not ${prefix}…`);
      continue;
    }
    const [path, anchor] = link.slice(prefix.length).split("#");
    if (!files.has(path!)) {
      problems.push(`${link}: the tarball has no ${path}`);
      continue;
    }
    if (anchor !== undefined) {
      const headings = readFileSync(join(PACKAGE, path!), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("#"))
        .map((line) => anchorOf(line.replace(/^#+\s*/, "")));
      if (!headings.includes(anchor)) {
        problems.push(`${link}: ${path} has no heading #${anchor}`);
      }
    }
  }
  expect(problems).toEqual([]);
}, 120_000);
