/**
 * This app, as the conformance suite drives it (../../../conformance): its
 * password sign-ins through Convex Auth v2's real email + password flow
 * (the emailed code included), and its sign-in records read from v2's
 * components.
 */
import { sessionIdentity } from "@convex-dev/auth/test";
import { ConvexError } from "convex/values";
import { vi } from "vitest";
import type {
  Backend,
  ConformanceApp,
  SignInRecords,
} from "../../../conformance/app";
import { api, internal } from "./_generated/api";
import schema from "./schema";
import {
  inComponent,
  newTest,
  signUpWithPassword,
  type TestConvex,
} from "./signIn.helpers";
import { userSync } from "./sync";

/** Each sign-in from its own client IP: v2 limits lookups per IP. */
let nextIp = 1;
const clientIp = () => `198.51.100.${(nextIp++ % 250) + 1}`;

/** A password sign-in as a client makes it. */
async function passwordSignIn(
  t: Backend,
  params: { email: string; password: string; flow: "signUp" | "signIn" },
) {
  const test = t as unknown as TestConvex;
  let tokens;
  if (params.flow === "signUp") {
    ({ tokens } = await signUpWithPassword(
      test,
      params.email,
      params.password,
    ));
  } else {
    const result = await test
      .withRequestMetadata({ ip: clientIp() })
      .mutation(api.auth.signInWithEmailPassword, {
        email: params.email,
        password: params.password,
      });
    if (result.status !== "complete") {
      throw new ConvexError({
        code: "SIGN_IN_REFUSED",
        message: JSON.stringify(result.userError),
      });
    }
    tokens = result.tokens;
  }
  const identity = sessionIdentity(tokens);
  return {
    userId: tokens.userId as never,
    sessionId: identity.subject,
    asUser: t.withIdentity(identity),
  };
}

/**
 * What signs a person in, in v2's components: each verified address of
 * the email component (a password signs in through it) and each OAuth
 * account; and every session of the core. A deleted person's password
 * stays as the hash of a random secret (2.0.0 cannot delete one): no way
 * to sign in, so not listed.
 */
async function signInRecords(t: Backend): Promise<SignInRecords> {
  const test = t as unknown as TestConvex;
  const emails = await inComponent(
    test,
    "authEmail",
    async (ctx) => await ctx.db.query("verifiedEmails").collect(),
  );
  const github = await inComponent(
    test,
    "authGithub",
    async (ctx) => await ctx.db.query("accounts").collect(),
  );
  const sessions = await inComponent(
    test,
    "auth",
    async (ctx) => await ctx.db.query("sessions").collect(),
  );
  return {
    accounts: [
      ...emails.map((row) => ({
        userId: row.userId as string,
        passwordEmail: row.email as string,
        stored: row,
      })),
      ...github.map((row) => ({
        userId: row.userId as string,
        passwordEmail: null,
        stored: row,
      })),
    ],
    sessions: sessions.map((session) => ({
      sessionId: session._id as string,
      userId: session.userId as string,
      stored: session,
    })),
  };
}

export const v2App: ConformanceApp = {
  schema,
  newBackend: () => {
    // v2's email method schedules its cleanup: on the fake clock.
    if (!vi.isFakeTimers()) vi.useFakeTimers();
    const t = newTest();
    // convex-test 0.0.65 (v2 needs it: ctx.auth.signJwt) moves a frozen
    // clock a millisecond per commit, as time moves in a deployment, and
    // times a job against the clock: a job a scheduled function schedules
    // "now" is due a millisecond on, which the suite's advance by 0 never
    // reaches. Each advance moves the fake clock that millisecond.
    const finish = t.finishAllScheduledFunctions.bind(t);
    t.finishAllScheduledFunctions = (advance, maxIterations) =>
      finish(() => {
        advance();
        vi.advanceTimersByTime(1);
      }, maxIterations);
    return t;
  },
  userSync: userSync as unknown as ConformanceApp["userSync"],
  // The emailed code proves the address of a password sign-up.
  // A sign-up for an address with an account is refused (EMAIL_TAKEN).
  capabilities: { passwordProvesAddress: true, signUpAgainSignsIn: false },
  passwordSignIn,
  signInRecords,
  syncAllUsers: internal.userSync.syncAllUsers,
  getRun: internal.userSync.getRun,
  startFoldPhase: internal.userSync.startFoldPhase,
  foldStatus: internal.userSync.foldStatus,
  driftSummary: internal.userSync.summary,
  driftPage: internal.userSync.page,
  ownName: { users: "name", app: "fullName" },
  setOwnName: async (session, fullName) => {
    await session.mutation(api.members.setFullName, { fullName });
  },
  whoAmI: async (session) => {
    const me = await session.query(api.members.me, {});
    return me === null ? null : { userId: me.userId, rowId: me.memberId };
  },
  deleteOwnAccount: async (session) => {
    await session.mutation(api.members.deleteMyAccount, {});
  },
  setStatus: async (t, id, status) => {
    await t.mutation(
      status === "suspended"
        ? internal.userSync.suspend
        : internal.userSync.reactivate,
      { id },
    );
  },
  deleteAccount: async (t, id) => {
    await t.mutation(internal.userSync.deleteAccount, { id });
  },
  editRowName: async (t, memberId, fullName) => {
    await t.mutation(internal.admin.editMember, { memberId, fullName });
  },
  deleteRow: async (t, memberId) => {
    await t.mutation(internal.admin.deleteMember, { memberId });
  },
  deleteUser: async (t, userId) => {
    await t.mutation(internal.admin.deleteUserRecord, { userId });
  },
  legacyRow: ({ email, name, now }) => ({
    email,
    fullName: name,
    joinedAt: now,
  }),
};
