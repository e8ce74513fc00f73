/**
 * A v2 user's sign-ins beyond `users`: its sessions in the core component
 * and its identities in the method components. What v1 kept in its own
 * tables (sessions.ts), v2 keeps behind each component's functions; what
 * 2.0.0 offers no function for is said here and in
 * docs/convex-auth-v2.md.
 */
import {
  type GenericDataModel,
  type GenericMutationCtx,
  type GenericQueryCtx,
  makeFunctionReference,
} from "convex/server";
import type { GenericId } from "convex/values";
import type { AnyDoc, Shape } from "./declaration.js";
import { getDoc } from "./db.js";
import { normalizeEmail } from "./policy.js";
import type { AuthMethod, ConvexAuthV2 } from "./convexAuthV2.js";

type MutationCtx = GenericMutationCtx<GenericDataModel>;

/** Sessions revoked per transaction; the rest go on in a scheduled job. */
export const SESSION_PAGE = 100;

/** The shape's v2 components, or an invariant error. */
function v2Of(shape: Shape): ConvexAuthV2 {
  if (shape.convexAuth === undefined) {
    throw new Error("Convex Auth v2 is not declared (convexAuth)");
  }
  return shape.convexAuth;
}

/**
 * Revokes a user's sessions (each with its refresh tokens, by the core),
 * a page per transaction; the app's `endSessions` job goes on with the
 * rest. A revoked session is signed out at once: v2 finds the caller
 * through its session. Returns how many it revoked.
 */
export async function endSessionsV2(
  ctx: MutationCtx,
  shape: Shape,
  userId: GenericId<"users">,
): Promise<number> {
  const { core } = v2Of(shape);
  const sessions = await ctx.runQuery(core.public.listSessions, { userId });
  const page = sessions.slice(0, SESSION_PAGE);
  const revoked =
    page.length === 0
      ? []
      : await ctx.runMutation(core.public.revokeSessions, {
          sessionIds: page.map(({ sessionId }) => sessionId),
        });
  if (sessions.length > SESSION_PAGE) {
    await ctx.scheduler.runAfter(
      0,
      makeFunctionReference<"mutation">(`${shape.modules.signIn}:endSessions`),
      { userId },
    );
  }
  return revoked.length;
}

/**
 * Removes a deleted user's identities from the method components: its
 * verified addresses and pending challenges (the email component's
 * `deleteUser`); its password, which 2.0.0 cannot delete, replaced by the
 * hash of a random secret nobody holds, so no hash of the person's
 * password is left. An OAuth account (GitHub's, Google's, …) cannot be
 * removed in 2.0.0: it stays, naming a user that no longer exists, and a
 * sign-in with it is refused (v2/callbacks.ts). Returns how many OAuth
 * accounts were left.
 */
export async function eraseIdentities(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc | null,
  userId: GenericId<"users">,
): Promise<{ oauthAccountsLeft: number }> {
  const { email, password } = v2Of(shape);
  if (email !== undefined) {
    await ctx.runMutation(email.verifiedEmails.deleteUser, { userId });
  }
  const methods = (user?.authMethods ?? []) as AuthMethod[];
  const hasPassword = methods.some((entry) =>
    ["emailPassword", "usernamePassword"].includes(entry.method),
  );
  if (password !== undefined && hasPassword) {
    await ctx.runMutation(password.public._internal_dangerous_setPassword, {
      userId,
      password: randomSecret(),
      minimumLength: 8,
    });
  }
  const oauthAccountsLeft = methods.filter(
    (entry) => entry.account !== undefined,
  ).length;
  if (oauthAccountsLeft > 0) {
    console.warn(
      `A deleted user's ${oauthAccountsLeft} OAuth account(s) stay in their Convex Auth components: 2.0.0 has no function that deletes one (docs/convex-auth-v2.md).`,
    );
  }
  return { oauthAccountsLeft };
}

/** A secret nobody holds: 32 random bytes, hex. */
function randomSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

/**
 * A v2 user's sign-in methods as an export or the operator's view lists
 * them (`provider`, `providerAccountId`, as v1's accounts): the methods
 * the sync recorded, each address the email component holds verified.
 */
export async function identitiesOfV2(
  ctx: GenericQueryCtx<GenericDataModel>,
  shape: Shape,
  user: AnyDoc,
): Promise<{ provider: string; providerAccountId: string }[]> {
  const { email } = v2Of(shape);
  const methods = (user.authMethods ?? []) as AuthMethod[];
  const addresses =
    email === undefined || !hasPasswordAddress(user)
      ? []
      : await ctx.runQuery(email.verifiedEmails.getEmails, {
          userId: user._id,
        });
  return [
    ...methods
      .filter((entry) => entry.method !== "emailPassword")
      .map((entry) => ({
        provider: entry.method,
        providerAccountId: entry.account ?? "",
      })),
    ...addresses.map((address) => ({
      provider: "emailPassword",
      providerAccountId: address.email,
    })),
  ];
}

/** Whether the user signed in with the email + password method. */
function hasPasswordAddress(user: AnyDoc): boolean {
  return ((user.authMethods ?? []) as AuthMethod[]).some(
    (entry) => entry.method === "emailPassword",
  );
}

/**
 * The address the email component holds verified as the user's primary,
 * for a user of the email + password method; else undefined (nothing
 * there to prove or disprove). v2 changes a password account's address
 * (`completeChangeEmail`) without calling the app: `users.email` may lag
 * until the person's next sign-in, and this is the address that holds.
 */
export async function componentAddress(
  ctx: GenericQueryCtx<GenericDataModel>,
  shape: Shape,
  user: AnyDoc,
): Promise<string | null | undefined> {
  const email = shape.convexAuth?.email;
  if (email === undefined || !hasPasswordAddress(user)) return undefined;
  return await ctx.runQuery(email.verifiedEmails.getPrimaryEmail, {
    userId: user._id,
  });
}

/**
 * The addresses a user holds verified now, where the email component is
 * the authority (a password account: v2 changes its address without
 * telling the app); undefined for any other account, whose address is the
 * one its provider verified at its last sign-in, on `users`. The one rule
 * both a link (stillProves) and the duplicate-holder check (holdsStill)
 * follow: every verified address the component holds, not the primary
 * alone.
 */
async function heldByComponent(
  ctx: GenericQueryCtx<GenericDataModel>,
  shape: Shape,
  user: AnyDoc,
): Promise<string[] | undefined> {
  const email = shape.convexAuth?.email;
  if (email === undefined || !hasPasswordAddress(user)) return undefined;
  const addresses = await ctx.runQuery(email.verifiedEmails.getEmails, {
    userId: user._id,
  });
  return addresses.map((entry) => entry.email);
}

/**
 * Whether `user` still proves `address`, as typed (a link matches the
 * exact address, as v1's default did): see heldByComponent.
 */
export async function stillProves(
  ctx: GenericQueryCtx<GenericDataModel>,
  shape: Shape,
  user: AnyDoc,
  address: string,
): Promise<boolean> {
  const held = await heldByComponent(ctx, shape, user);
  if (held === undefined) {
    return user.email === address && user.emailVerificationTime !== undefined;
  }
  return held.includes(address);
}

/**
 * Brings a password account's `users.email` in step with the email
 * component before a suspension acts on it: a suspension reaches the
 * address the person holds now, never one they gave up (whose next owner
 * is someone else). Returns the user as it now is.
 */
export async function refreshProvenAddress(
  ctx: MutationCtx,
  shape: Shape,
  user: AnyDoc,
): Promise<AnyDoc> {
  const address = await componentAddress(ctx, shape, user);
  if (address === undefined || address === null || address === user.email) {
    return user;
  }
  const fields = { email: address, emailVerificationTime: Date.now() };
  await ctx.db.patch("users", user._id as GenericId<"users">, fields);
  return { ...user, ...fields };
}

/**
 * Whether an app row that holds `address` (a key) verified still holds it
 * for its account: on Convex Auth v2 a password account may have changed
 * its address since (the row learns it at the account's next sign-in),
 * by the same rule as stillProves. A row in no pair, or on v1, holds what
 * it says.
 */
export async function holdsStill(
  ctx: GenericQueryCtx<GenericDataModel>,
  shape: Shape,
  row: AnyDoc,
  address: string,
): Promise<boolean> {
  if (shape.convexAuth === undefined) return true;
  const userId = row[shape.appRef];
  if (typeof userId !== "string") return true;
  const user = await getDoc(ctx, "users", userId);
  if (user === null) return true;
  const held = await heldByComponent(ctx, shape, user);
  return (
    held === undefined ||
    held.some((email) => normalizeEmail(email) === address)
  );
}
