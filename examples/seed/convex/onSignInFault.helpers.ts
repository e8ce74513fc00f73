/**
 * A fault in the app's onSignIn hook, the one place app code runs inside a
 * sign-in's sync: arm it and the next completed sign-in's sync throws once.
 * A test file mounts it in place of the real hook with
 *
 * @example vi.mock("./starterTemplates", async (original) => (await import("./onSignInFault.helpers")).withFault(original));
 */
import type * as StarterTemplates from "./starterTemplates";

/**
 * Armed: the next onSignIn throws `error` (an unexpected one by default),
 * or runs `write` (app code whose own write fails), and disarms it.
 */
export const fault: {
  armed: boolean;
  error?: Error;
  write?: (
    ctx: Parameters<typeof StarterTemplates.provisionOnFirstSignIn>[0],
  ) => Promise<void>;
} = { armed: false };

/** The starter templates module, its onSignIn hook failing when armed. */
export async function withFault(
  importOriginal: () => Promise<typeof StarterTemplates>,
): Promise<typeof StarterTemplates> {
  const real = await importOriginal();
  return {
    ...real,
    provisionOnFirstSignIn: async (
      ...args: Parameters<typeof real.provisionOnFirstSignIn>
    ) => {
      if (fault.armed) {
        fault.armed = false;
        const write = fault.write;
        fault.write = undefined;
        if (write !== undefined) await write(args[0]);
        const error = fault.error ?? new Error("injected fault");
        fault.error = undefined;
        throw error;
      }
      await real.provisionOnFirstSignIn(...args);
    },
  };
}
