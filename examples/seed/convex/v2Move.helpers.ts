/**
 * The v1 -> v2 move's test app (docs/v2-move.md): this app, still on
 * Convex Auth v1, with v2's GitHub component mounted beside v1's tables
 * (the guide's step 2). Test-only (a multi-dot file, never deployed):
 * V2_MOVE_MODULES mounts this module as `v2Move`.
 *
 * The declaration is the app's own (convex/sync.ts) with v2's components
 * named, as the guide's step 3 has the operator declare them; its engine
 * functions are this module's, so that the move's pages run against it.
 * Only the functions the move needs are exported: the app's sign-ins stay
 * v1's, served by the app's own declaration.
 */
import {
  defineUserSync,
  type UserSyncDeclaration,
} from "convex-auth-user-sync";
import {
  componentsGeneric,
  type GenericSchema,
  type SchemaDefinition,
} from "convex/server";
import type { DataModel } from "./_generated/dataModel";
import { internalQuery, internalSyncMutation } from "./functions";
import { declaration } from "./sync";
import type { Backend } from "./sync.helpers";

type MoveToV2 = NonNullable<
  UserSyncDeclaration<DataModel, "auth_users">["moveToV2"]
>;

/**
 * v2's GitHub component as the app mounts it beside v1 (the guide's step
 * 2). The seed installs 0.0.95 only, so the 2.0.0 package's types are not
 * at hand; the move's own types are used.
 */
const components = componentsGeneric() as unknown as {
  authGithub: NonNullable<NonNullable<MoveToV2["oauth"]>["github"]>;
};

const moving = defineUserSync<DataModel>()({
  ...declaration,
  modules: { ...declaration.modules, engine: "v2Move" },
  // The move's settings while v1 still serves sign-ins (the adapter stays
  // v1's): the component v1's GitHub accounts move into, and where each of
  // v1's providers here (convex/providers.ts) goes.
  moveToV2: {
    oauth: { github: components.authGithub },
    v1Methods: {
      github: "github",
      google: "google",
      password: "password",
      "password-code": "password",
      "resend-otp": "email_code",
      resend: "email_code",
      anonymous: "skip",
    },
  },
});

export const { startV2Move, v2MoveStatus, rollbackV2Move } =
  moving.v2MoveFunctions({
    internalMutation: internalSyncMutation,
    internalQuery,
  });

export const {
  runPage,
  processPage,
  supervise,
  resumeRun,
  getRun,
  plannedChanges,
} = moving.engineFunctions({
  internalMutation: internalSyncMutation,
  internalQuery,
});

/** Module map entries: this module, under a plain name. */
export const V2_MOVE_MODULES = {
  "./v2Move.ts": () => import("./v2Move.helpers"),
};

/**
 * v2's GitHub component, from the 2.0.0 package the v2 example installs:
 * what its `registerGithubOauth` does (src/testing/github.ts), with the
 * same files. Read by path: the seed resolves `@convex-dev/auth` to 0.0.95.
 */
const GITHUB_COMPONENT =
  "../../v2/node_modules/@convex-dev/auth/src/components/github";
const githubModules = import.meta.glob(
  "../../v2/node_modules/@convex-dev/auth/src/components/github/**/*.ts",
);
const githubSchema = import.meta.glob<SchemaDefinition<GenericSchema, boolean>>(
  "../../v2/node_modules/@convex-dev/auth/src/components/github/schema.ts",
  {
    eager: true,
    import: "default",
  },
)[`${GITHUB_COMPONENT}/schema.ts`];

/** Mounts v2's GitHub component as `authGithub`, beside v1's tables. */
export function mountGithubComponent(t: Backend): void {
  if (githubSchema === undefined) {
    throw new Error("the 2.0.0 package of examples/v2 is not installed");
  }
  t.registerComponent("authGithub", githubSchema, githubModules);
}

/** The GitHub component's accounts: `providerAccountId -> userId`. */
export async function githubAccounts(
  t: Backend,
): Promise<Record<string, string>> {
  const testApi = t as unknown as {
    runInComponent<Result>(
      componentPath: string,
      run: (ctx: {
        db: { query(table: string): { collect(): Promise<unknown[]> } };
      }) => Promise<Result>,
    ): Promise<Result>;
  };
  const rows = (await testApi.runInComponent(
    "authGithub",
    async (ctx) => await ctx.db.query("accounts").collect(),
  )) as { providerAccountId: string; userId: string }[];
  return Object.fromEntries(
    rows.map((row) => [row.providerAccountId, row.userId]),
  );
}
