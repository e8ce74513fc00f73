/**
 * Every public function of an example, read from its modules as convex-test
 * loads them: what each example's access test walks every caller through,
 * so a new public function without a row there fails it.
 */

export type FunctionKind = "query" | "mutation" | "action";

type Registered = {
  isPublic?: boolean;
  isQuery?: boolean;
  isMutation?: boolean;
};

/**
 * "module:export" of every public query, mutation and action, with its kind.
 *
 * @example const found = await publicFunctions(modules); // convexTest's modules
 */
export async function publicFunctions(
  modules: Record<string, () => Promise<unknown>>,
): Promise<Map<string, FunctionKind>> {
  const found = new Map<string, FunctionKind>();
  for (const [path, load] of Object.entries(modules)) {
    const module = path.replace(/^\.\//, "").replace(/\.[^.]+$/, "");
    if (module.startsWith("_generated/")) continue;
    const exports = (await load()) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports)) {
      // Registered functions are functions carrying their visibility.
      if (typeof value !== "function") continue;
      const fn = value as Registered;
      if (fn.isPublic !== true) continue;
      found.set(
        `${module}:${name}`,
        fn.isQuery ? "query" : fn.isMutation ? "mutation" : "action",
      );
    }
  }
  return found;
}
