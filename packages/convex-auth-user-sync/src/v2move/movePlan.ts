/**
 * The move from Convex Auth v1 to v2, one person at a time: which of a
 * user's v1 identities (`authAccounts` rows) can go into a v2 method's
 * component, which wait for the person's next sign-in, and which a person
 * must look at (docs/v2-move.md). Pure: no Convex calls. The run built on the
 * engine reads the rows, calls this, and does the component calls.
 *
 * Typed structurally: the library does not import v1's or v2's types here,
 * so this module holds under either package.
 */
import { normalizeEmail } from "../policy.js";
import { isScryptHash } from "./scryptHash.js";

/** A v1 `authAccounts` row, as the move reads it. */
export type V1AccountRow = {
  _id: string;
  userId: string;
  provider: string;
  providerAccountId: string;
  /** v1's Password provider: the hash of the password (lucia's Scrypt). */
  secret?: string;
  /** The address v1 verified for this account, when it verified one. */
  emailVerified?: string;
};

/** The `users` document the rows belong to (one table: the fold is done). */
export type V1UserDoc = {
  _id: string;
  /** Convex Auth's `email`. */
  email?: unknown;
  /** Set on the fold's placeholder of a person who never signed in. */
  unclaimed?: unknown;
};

/**
 * The v2 method a v1 provider's identities move to. `email_code` is v1's
 * `Email` provider (a code or a magic link); `skip` says the app moves none
 * of that provider's identities on purpose (anonymous users, say).
 */
export type V2Method = "github" | "google" | "password" | "email_code" | "skip";

export type MovePlanOptions = {
  /** v1 provider id (`authAccounts.provider`) -> its v2 method. */
  methods: Readonly<Record<string, V2Method>>;
  /**
   * How v1 hashed passwords: `scrypt` (the default: v1's Password provider,
   * lucia's Scrypt) or `custom` (the app gave the provider its own `crypto`;
   * its next-sign-in step must then verify with that same code).
   */
  passwordHash?: "scrypt" | "custom";
};

/** The provider ids v1's built-in providers store, and where they go. */
export const DEFAULT_V2_METHODS: Readonly<Record<string, V2Method>> = {
  github: "github",
  google: "google",
  password: "password",
  anonymous: "skip",
};

/** Why an identity is not moved. */
export type NotMovedReason =
  /** The app mapped its provider to `skip`. */
  | "provider_skipped"
  /** Its provider is not in `methods`. */
  | "provider_not_mapped"
  /** The row's `userId` is another user's. */
  | "account_names_other_user"
  /** The user is a placeholder: it never signed in, so it has no identity. */
  | "placeholder_with_accounts"
  /** The user has two identities for one v2 method (one password per user in v2). */
  | "two_accounts_one_method"
  /** An OAuth account id that is not the shape the v2 method reads. */
  | "provider_account_id_unexpected"
  /** A Password account with no hash. */
  | "password_without_secret"
  /** A Password account whose hash is not lucia's Scrypt (`salt:key` in hex). */
  | "password_hash_unrecognized"
  /** v2's email component refuses the address (non-ASCII, malformed, too long). */
  | "address_refused_by_v2"
  /** The account's address is not the user's `email` (by the library's key). */
  | "address_not_users"
  /** v1 verified another spelling than the account's address. */
  | "verified_address_differs"
  /** An email-code account v1 never verified: a code was asked for, never used. */
  | "address_never_verified";

/** The reasons that leave a case for a person (the others are expected). */
export type ReviewReason = Exclude<
  NotMovedReason,
  "provider_skipped" | "address_never_verified"
>;

export type Move =
  /** Into `authGithub`'s accounts, as is: the same GitHub user id. */
  | {
      kind: "github_account";
      accountId: string;
      userId: string;
      providerAccountId: string;
    }
  /** Into `authGoogle`'s accounts, as is: the same `sub`. */
  | {
      kind: "google_account";
      accountId: string;
      userId: string;
      providerAccountId: string;
    }
  /**
   * v2 cannot verify the Scrypt hash: it stays app-side until the person's
   * next sign-in proves the password (then v2 gets it, hashed its own way)
   * or a reset. The hash itself is not in the plan: a dry run's planned
   * changes are readable by operators; the run reads it from the row.
   */
  | {
      kind: "password_rehash_pending";
      accountId: string;
      userId: string;
      provider: string;
      /** The account's address exactly as v1 stored it (v1 matched it exactly). */
      email: string;
      emailKey: string;
      /** v1 verified this very address (its `verify` option). */
      emailVerifiedInV1: boolean;
    }
  /**
   * An address v1 proved by a code or a link. v2's email component records
   * an address only through its own challenge, so the proof is not carried:
   * the person proves it again at their first v2 sign-in.
   */
  | {
      kind: "verified_email";
      accountId: string;
      userId: string;
      provider: string;
      email: string;
      emailKey: string;
    }
  | {
      kind: "not_moved";
      accountId: string;
      provider: string;
      reason: NotMovedReason;
    };

export type Review = {
  reason: ReviewReason;
  accountIds: string[];
  detail: string;
};

export type MovePlan = {
  userId: string;
  /** One entry per row given, in the rows' order. */
  moves: Move[];
  reviews: Review[];
};

// v2's email component's format rules (components/email/validation.ts,
// validateEmailFormat, in @convex-dev/auth 2.0.0): at most 254 characters,
// printable ASCII, one "@" and a dotted domain that is no IP literal.
const V2_MAX_EMAIL_LENGTH = 254;
const V2_PRINTABLE_ASCII = /^[\x21-\x7E]+$/;
const V2_EMAIL_PATTERN = /^[^@]+@[^@[\]]+\.[^@]+$/;

/**
 * Whether v2's email component would take the address. For every address
 * it takes, v2's key (`toLowerCase` then NFC) equals the library's
 * `normalizeEmail` (ASCII letters lower-cased), so uniqueness checked by the
 * library's key is uniqueness in v2.
 */
export function v2AcceptsEmail(address: string): boolean {
  return (
    address.length <= V2_MAX_EMAIL_LENGTH &&
    V2_PRINTABLE_ASCII.test(address) &&
    V2_EMAIL_PATTERN.test(address)
  );
}

// v2's GitHub method keys an account by `String(user.id)`, GitHub's numeric
// id, as v1 (Auth.js: `profile.id.toString()`) did; Google's by `sub`,
// at most 255 ASCII characters. Another shape means v1's provider mapped the
// id its own way: a v2 sign-in would never find the account.
const GITHUB_ID = /^[1-9][0-9]{0,19}$/;
const GOOGLE_SUB = /^[\x21-\x7E]{1,255}$/;

type Verdict =
  | { moved: Exclude<Move, { kind: "not_moved" }> }
  | { reason: NotMovedReason; detail: string };

function oauthVerdict(
  kind: "github_account" | "google_account",
  row: V1AccountRow,
): Verdict {
  const shape = kind === "github_account" ? GITHUB_ID : GOOGLE_SUB;
  if (!shape.test(row.providerAccountId)) {
    return {
      reason: "provider_account_id_unexpected",
      detail: `${row.provider} account id ${JSON.stringify(row.providerAccountId)} is not what v2's method keys accounts by`,
    };
  }
  return {
    moved: {
      kind,
      accountId: row._id,
      userId: row.userId,
      providerAccountId: row.providerAccountId,
    },
  };
}

/**
 * The checks an address identity passes before anything of it moves: v2
 * takes the address, it is the user's own, and a verification names this
 * very spelling.
 */
function addressProblem(
  row: V1AccountRow,
  userKey: string | undefined,
): { reason: NotMovedReason; detail: string } | { emailKey: string } {
  const address = row.providerAccountId;
  if (
    row.emailVerified !== undefined &&
    row.emailVerified !== row.providerAccountId
  ) {
    return {
      reason: "verified_address_differs",
      detail: `v1 verified ${JSON.stringify(row.emailVerified)}, not the account's ${JSON.stringify(address)}`,
    };
  }
  if (!v2AcceptsEmail(address)) {
    return {
      reason: "address_refused_by_v2",
      detail: `v2's email component refuses ${JSON.stringify(address)}`,
    };
  }
  const emailKey = normalizeEmail(address);
  if (emailKey === undefined || emailKey !== userKey) {
    return {
      reason: "address_not_users",
      detail: `the account's address ${JSON.stringify(address)} is not the user's email`,
    };
  }
  return { emailKey };
}

function passwordVerdict(
  row: V1AccountRow,
  userKey: string | undefined,
  hashFormat: "scrypt" | "custom",
): Verdict {
  if (row.secret === undefined || row.secret === "") {
    return {
      reason: "password_without_secret",
      detail: "a Password account with no hash proves nothing",
    };
  }
  if (hashFormat === "scrypt" && !isScryptHash(row.secret)) {
    return {
      reason: "password_hash_unrecognized",
      detail: "the hash is not lucia's Scrypt, which the next sign-in checks",
    };
  }
  const address = addressProblem(row, userKey);
  if ("reason" in address) return address;
  return {
    moved: {
      kind: "password_rehash_pending",
      accountId: row._id,
      userId: row.userId,
      provider: row.provider,
      email: row.providerAccountId,
      emailKey: address.emailKey,
      emailVerifiedInV1: row.emailVerified === row.providerAccountId,
    },
  };
}

function emailCodeVerdict(
  row: V1AccountRow,
  userKey: string | undefined,
): Verdict {
  // v1 writes the account when it sends the first code, and its
  // `emailVerified` only when a code is used: without it, nobody ever
  // signed in this way.
  if (row.emailVerified === undefined) {
    return {
      reason: "address_never_verified",
      detail: "v1 sent a code to this address that was never used",
    };
  }
  const address = addressProblem(row, userKey);
  if ("reason" in address) return address;
  return {
    moved: {
      kind: "verified_email",
      accountId: row._id,
      userId: row.userId,
      provider: row.provider,
      email: row.providerAccountId,
      emailKey: address.emailKey,
    },
  };
}

const METHOD_MOVE = {
  github: "github_account",
  google: "google_account",
} as const;

/**
 * The moves of one user's v1 identities, and what a person must look at.
 * Every row gets exactly one entry in `moves`; a row not moved says why, and
 * the unexpected reasons are also in `reviews`. Nothing is ever guessed: an
 * identity moves only when it is this user's, of a known method, the only
 * one of its method, and (for an address) the user's own address in the
 * spelling v1 verified.
 *
 * @example movePlan(user, rows, { methods: { ...DEFAULT_V2_METHODS, resend: "email_code" } })
 */
export function movePlan(
  user: V1UserDoc,
  accounts: readonly V1AccountRow[],
  options: MovePlanOptions,
): MovePlan {
  const hashFormat = options.passwordHash ?? "scrypt";
  const userKey = normalizeEmail(user.email);
  const verdicts = new Map<string, Verdict>();
  const byMethod = new Map<V2Method, V1AccountRow[]>();

  // 1. Rows that cannot be this user's identity, whatever their method.
  for (const row of accounts) {
    if (row.userId !== user._id) {
      verdicts.set(row._id, {
        reason: "account_names_other_user",
        detail: `the row names user ${row.userId}`,
      });
    } else if (user.unclaimed !== undefined) {
      verdicts.set(row._id, {
        reason: "placeholder_with_accounts",
        detail: "a placeholder of a person who never signed in has an account",
      });
    } else if (!Object.hasOwn(options.methods, row.provider)) {
      verdicts.set(row._id, {
        reason: "provider_not_mapped",
        detail: `no v2 method is named for provider ${JSON.stringify(row.provider)}`,
      });
    } else {
      const method = options.methods[row.provider]!;
      byMethod.set(method, [...(byMethod.get(method) ?? []), row]);
    }
  }

  // 2. Each method's rows: one per user, then that method's own checks.
  for (const [method, rows] of byMethod) {
    for (const row of rows) {
      verdicts.set(row._id, verdictFor(method, row, rows.length));
    }
  }

  function verdictFor(
    method: V2Method,
    row: V1AccountRow,
    count: number,
  ): Verdict {
    if (method === "skip") {
      return {
        reason: "provider_skipped",
        detail: `the app moves no ${row.provider} identity`,
      };
    }
    if (count > 1) {
      return {
        reason: "two_accounts_one_method",
        detail: `the user has ${count} identities for v2's ${method} method`,
      };
    }
    if (method === "password") {
      return passwordVerdict(row, userKey, hashFormat);
    }
    if (method === "email_code") return emailCodeVerdict(row, userKey);
    return oauthVerdict(METHOD_MOVE[method], row);
  }

  // 3. One entry per row, in order. One review per unexpected finding: the
  // rows of one finding (two accounts of one method) share it.
  const moves: Move[] = [];
  const reviews = new Map<string, Review>();
  for (const row of accounts) {
    const verdict = verdicts.get(row._id)!;
    if ("moved" in verdict) {
      moves.push(verdict.moved);
      continue;
    }
    moves.push({
      kind: "not_moved",
      accountId: row._id,
      provider: row.provider,
      reason: verdict.reason,
    });
    if (
      verdict.reason === "provider_skipped" ||
      verdict.reason === "address_never_verified"
    ) {
      continue;
    }
    const finding = `${verdict.reason}\n${verdict.detail}`;
    const review = reviews.get(finding);
    if (review === undefined) {
      reviews.set(finding, {
        reason: verdict.reason,
        accountIds: [row._id],
        detail: verdict.detail,
      });
    } else {
      review.accountIds.push(row._id);
    }
  }
  return { userId: user._id, moves, reviews: [...reviews.values()] };
}
