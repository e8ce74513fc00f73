/**
 * What a Convex Auth v2 sign-in proves, from its method's name and
 * profile (pure: no Convex calls). The core does not store profiles; each
 * method hands the app its own shape:
 * - `github`, `google`, `apple`: the provider's account id, an address
 *   and whether the provider verified it (`emailVerified`), a name, a
 *   picture. An unverified address is carried, never as proven.
 * - `emailPassword`: an empty profile. The address is proven by the email
 *   component (the sign-up's emailed code), and read from it
 *   (`verifiedEmails.getPrimaryEmail`) once the user exists.
 * - `usernamePassword`, `usernamePasskey`, `anonymous`: an empty profile
 *   and no address: nothing to claim a legacy row with.
 * - any other name (a custom OAuth provider): its `email` only if its
 *   profile says `emailVerified: true`, as v1's default did not assume.
 */

import type { AuthMethod } from "../convexAuthV2.js";
import type { AnyDoc } from "../declaration.js";

/** A v2 sign-in's proof, as the sync uses it. */
export type MethodProof = {
  /** The method's name (`method.name`). */
  method: string;
  /** The provider's stable account id, for the OAuth methods. */
  account?: string;
  /** The address the profile carries, proven or not. */
  email?: string;
  /** True only when the method vouched for `email`. */
  verified: boolean;
  /** Read from the email component once the user exists. */
  emailFromComponent: boolean;
  name?: string;
  image?: string;
};

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The proof of one sign-in.
 *
 * @example methodProof("github", { id: "1", login: "ada", email: "ada@example.com", emailVerified: true })
 */
export function methodProof(method: string, profile: unknown): MethodProof {
  const fields =
    typeof profile === "object" && profile !== null
      ? (profile as Record<string, unknown>)
      : {};
  switch (method) {
    case "emailPassword":
      return { method, verified: false, emailFromComponent: true };
    case "usernamePassword":
    case "usernamePasskey":
    case "anonymous":
      return { method, verified: false, emailFromComponent: false };
    case "github":
    case "google":
    case "apple":
    default: {
      const email = text(fields.email);
      return {
        method,
        account: text(fields.id),
        email,
        verified: email !== undefined && fields.emailVerified === true,
        emailFromComponent: false,
        name: text(fields.name),
        image: text(fields.avatarUrl) ?? text(fields.picture),
      };
    }
  }
}

/**
 * The `users` fields a proof sets. An unverified address is kept only
 * where no verified one is, and never as verified; a verification time is
 * kept while the address stays the same.
 */
export function proofFields(
  proof: MethodProof,
  user: AnyDoc | null,
  now: number,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (proof.name !== undefined) fields.name = proof.name;
  if (proof.image !== undefined) fields.image = proof.image;
  if (proof.email === undefined) return fields;
  const verifiedNow = user?.emailVerificationTime !== undefined;
  if (proof.verified) {
    fields.email = proof.email;
    fields.emailVerificationTime =
      verifiedNow && user?.email === proof.email
        ? user.emailVerificationTime
        : now;
  } else if (!verifiedNow) {
    fields.email = proof.email;
  }
  return fields;
}

/** The most methods a user lists; past it, the first ones are kept. */
export const MAX_AUTH_METHODS = 20;

/**
 * The user's sign-in methods with this one, or the same array when it is
 * listed already (nothing to write). v2's components cannot list a user's
 * OAuth accounts: the sync keeps them, for an export, the operator's view
 * and what an erasure reports left behind.
 */
export function withMethod(listed: unknown, proof: MethodProof): AuthMethod[] {
  const methods = Array.isArray(listed) ? (listed as AuthMethod[]) : [];
  const known = methods.some(
    (entry) => entry.method === proof.method && entry.account === proof.account,
  );
  if (known || methods.length >= MAX_AUTH_METHODS) {
    return Array.isArray(listed) ? methods : [];
  }
  const entry: AuthMethod =
    proof.account === undefined
      ? { method: proof.method }
      : { method: proof.method, account: proof.account };
  return [...methods, entry];
}
