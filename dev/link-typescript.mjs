// The Convex CLI typechecks functions with node_modules/typescript/bin/tsc
// relative to the app's directory; npm hoists a workspace's TypeScript to
// the root. Linking it into each example lets `npx convex dev` (and
// `convex codegen --typecheck enable`) find it there.
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const typescript = join(root, "node_modules", "typescript");
for (const dir of ["examples", "fixtures"]) {
  if (!existsSync(join(root, dir))) continue;
  for (const app of readdirSync(join(root, dir))) {
    const modules = join(root, dir, app, "node_modules");
    const link = join(modules, "typescript");
    if (!existsSync(join(root, dir, app, "convex")) || existsSync(link)) {
      continue;
    }
    mkdirSync(modules, { recursive: true });
    symlinkSync(relative(modules, typescript), link);
  }
}
