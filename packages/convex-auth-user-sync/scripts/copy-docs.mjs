// prepack: the repository's docs/*.md (the adoption guide, docs/adoption.md,
// among them), shipped in the package
// (docs/), so that the package README's links (absolute unpkg URLs pinned
// to the version) work from the npm page with no repository URL. Links
// into the library's sources point at the shipped src/; links to the rest
// of the repository (examples, tests) have no copy in the package.
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(pkg, "../..");
const out = join(pkg, "docs");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "images"), { recursive: true });

const own = (text) =>
  text.replaceAll("](../packages/convex-auth-user-sync/src/", "](../src/");

for (const name of readdirSync(join(repo, "docs"))) {
  if (name.endsWith(".md")) {
    writeFileSync(
      join(out, name),
      own(readFileSync(join(repo, "docs", name), "utf8")),
    );
  }
}
for (const name of readdirSync(join(repo, "docs/images"))) {
  copyFileSync(join(repo, "docs/images", name), join(out, "images", name));
}
