import { componentsGeneric } from "convex/server";
import type { ComponentApi as AuthApi } from "@convex-dev/auth/_generated/component";
import type { ComponentApi as PasswordApi } from "@convex-dev/auth/components/password/_generated/component";
import type { ComponentApi as EmailApi } from "@convex-dev/auth/components/email/_generated/component";
import type { ComponentApi as GithubApi } from "@convex-dev/auth/components/github/_generated/component";
import type { ComponentApi as ResendApi } from "@convex-dev/resend/_generated/component.js";

/**
 * The app's mounted components (convex/convex.config.ts), typed.
 *
 * Convex's codegen against a deployment writes this into
 * `_generated/api.js` as `export const components = componentsGeneric()`,
 * typed in `api.d.ts` with each package's `ComponentApi`. The offline codegen
 * the workspace runs (`convex codegen --system-udfs`) ignores
 * convex.config.ts and writes no `components`, so this module declares the
 * same value by hand: the runtime value is Convex's own (a proxy whose
 * references name `<mount>/<module>:<function>`), only its type is written
 * here. Keep the keys equal to the mount names in convex.config.ts.
 */
export const components = componentsGeneric() as unknown as {
  auth: AuthApi<"auth">;
  authPassword: PasswordApi<"authPassword">;
  authEmail: EmailApi<"authEmail">;
  authGithub: GithubApi<"authGithub">;
  resend: ResendApi<"resend">;
};
