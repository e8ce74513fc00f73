/**
 * The review queue and the drift report agree: every drift the report shows
 * is an open case, or of a kind that needs none (docs/troubleshooting.md),
 * after each resolution of each kind of case, and after the run that
 * follows it. Every case is built through the app's real flows: sign-ins,
 * damage written straight to the tables (as a dashboard edit or an import
 * would), and runs.
 */
import { describe, expect, test, vi } from "vitest";
import { fault } from "./onSignInFault.helpers";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ErrorCode } from "./errors";
import { requestCode, signInOrThrow, signInViaOAuth } from "./signIn.helpers";
import {
  type Backend,
  expectRejectedWithoutWrites,
  insertLegacyRow,
  newBackend,
  openCases,
  readTables,
  runDueFunctions,
  signInWithOAuth,
  useFakeClock,
} from "./test.helpers";

// A fault in the app's onSignIn hook makes a sign-in's sync fail.
vi.mock("./starterTemplates", async (importOriginal) =>
  (await import("./onSignInFault.helpers")).withFault(importOriginal),
);

useFakeClock(Date.UTC(2026, 5, 1, 9, 0, 0));

/**
 * Drift kinds that need no case: a run repairs them on its own, or they
 * wait for a sign-in. `ambiguous_email` needs one only once someone proved
 * the address (see uncovered).
 */
const NEEDS_NO_CASE = new Set([
  "missing_counterpart",
  "dangling_reference",
  "field_mismatch",
  "unnormalized_email",
  "pending_link",
  "unclaimed_placeholder",
  "awaiting_sign_in",
]);

type Review = {
  _id: string;
  kind: string;
  user_id?: string;
  row_ids: string[];
  resolution?: string;
};

type Finding = { kind: string; count: number; sampleIds: string[] };
type DriftPage = {
  report: { findings: Finding[] };
  rowsReport?: { findings: Finding[] };
  isDone: boolean;
  continueCursor: string;
};

/** Every drift item of the report, page by page: `kind id`. */
async function driftItems(t: Backend): Promise<{ kind: string; id: string }[]> {
  const items: { kind: string; id: string }[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = (await t.query(internal.driftReport.page, {
      table: "both",
      cursor,
    })) as DriftPage;
    for (const report of [page.report, page.rowsReport!]) {
      for (const finding of report.findings) {
        // Small tables: every id is a sample.
        expect(finding.sampleIds).toHaveLength(finding.count);
        for (const id of finding.sampleIds) {
          items.push({ kind: finding.kind, id });
        }
      }
    }
    if (page.isDone) return items;
    cursor = page.continueCursor;
  }
}

/**
 * The drift items that are neither an open case's nor of a kind needing
 * none. A case a person dismissed explains its own ids: "closed as it is"
 * was their decision (docs/console.md).
 */
async function uncovered(t: Backend) {
  const { reviews, users, authUsers } = await readTables(t);
  const names = (review: Review, id: string) =>
    review.user_id === id || review.row_ids.includes(id);
  const explained = (id: string) =>
    (reviews as Review[]).some(
      (review) =>
        (review.resolution === undefined || review.resolution === "dismiss") &&
        names(review, id),
    );
  const provenBySomeone = (rowId: string) => {
    const email = authUsers.find((row) => row._id === rowId)?.email;
    return users.some(
      (user) =>
        user.email?.toLowerCase() === email &&
        user.emailVerificationTime !== undefined,
    );
  };
  return (await driftItems(t)).filter(
    ({ kind, id }) =>
      !NEEDS_NO_CASE.has(kind) &&
      !explained(id) &&
      !(kind === "ambiguous_email" && !provenBySomeone(id)),
  );
}

async function syncRun(t: Backend) {
  await t.mutation(internal.userSync.syncAllUsers, {});
  await runDueFunctions(t);
}

/** Damage: clears both references of a pair, as a dashboard edit would. */
async function unpair(t: Backend, userId: Id<"users">) {
  await t.run(async (ctx) => {
    const user = (await ctx.db.get("users", userId))!;
    await ctx.db.patch("auth_users", user.auth_user_id!, {
      convex_user_id: undefined,
    });
    await ctx.db.patch("users", userId, { auth_user_id: undefined });
  });
}

const github = (email: string, verified: boolean) => ({
  id: 11,
  login: "someone",
  email: null,
  emails: [{ email, primary: true, verified }],
});

/** Each kind of case, built through real flows; the backend is returned. */
const CASES: Record<string, () => Promise<Backend>> = {
  // A verified sign-in with two legacy rows holding the address.
  ambiguous_email: async () => {
    const t = newBackend();
    await insertLegacyRow(t, { email: "ken@example.com", company: "A" });
    await insertLegacyRow(t, { email: "ken@example.com", company: "B" });
    await signInWithOAuth(t, {
      providerAccountId: "gh-ken",
      profile: { name: "Ken", email: "ken@example.com" },
    });
    return t;
  },
  // An unverified sign-in whose address a legacy row holds.
  unverified_email_match: async () => {
    const t = newBackend();
    await insertLegacyRow(t, { email: "grace@example.com", company: "Navy" });
    await signInWithOAuth(t, {
      providerAccountId: "gh-grace",
      profile: { email: "grace@example.com", emailVerified: false },
    });
    return t;
  },
  // A pair whose references were both cleared, then a run: a case for the
  // user (the row holds its address) and one for the row (whose is it?).
  "reference_conflict (the user's)": async () => {
    const t = newBackend();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    await unpair(t, ada.userId);
    await syncRun(t);
    return t;
  },
  "reference_conflict (the row's)": async () =>
    await CASES["reference_conflict (the user's)"]!(),
  // A copy of Ada's row naming her, imported, then a run.
  duplicate_counterpart: async () => {
    const t = newBackend();
    const ada = await signInWithOAuth(t, {
      providerAccountId: "gh-ada",
      profile: { name: "Ada", email: "ada@example.com" },
    });
    await t.run(async (ctx) => {
      await ctx.db.insert("auth_users", {
        convex_user_id: ada.userId,
        email: "ada@example.com",
        company: "Imported copy",
        created_at: Date.now(),
        updated_at: Date.now(),
      });
    });
    await syncRun(t);
    return t;
  },
  // The onSignIn hook throws during a first sign-in.
  sign_in_sync_failed: async () => {
    const t = newBackend();
    fault.armed = true;
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await signInOrThrow(t, "password", {
      email: "ada@example.com",
      password: "correct horse battery",
      flow: "signUp",
    });
    errors.mockRestore();
    return t;
  },
  // A user too big to write in one transaction: a run passes it over.
  row_sync_failed: async () => {
    const t = newBackend({ bytesWritten: 100 * 1024 });
    await t.run(async (ctx) => {
      await ctx.db.insert("users", {
        name: "x".repeat(70 * 1024),
        email: "big@example.com",
      });
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await syncRun(t);
    errors.mockRestore();
    return t;
  },
  // A user with a row of its own verifies a legacy row's address later.
  verified_legacy_match: async () => {
    const t = newBackend();
    await insertLegacyRow(t, { email: "ada@example.com", company: "Old Co" });
    await signInViaOAuth(t, "github", github("ada@example.com", false));
    vi.advanceTimersByTime(60_000);
    await signInViaOAuth(t, "github", github("ada@example.com", true));
    return t;
  },
  // A code account and a GitHub account both prove Kim's address.
  duplicate_account: async () => {
    const t = newBackend();
    await requestCode(t, "resend-otp", { email: "kim@example.com" });
    await signInViaOAuth(t, "github", github("kim@example.com", true));
    await signInOrThrow(t, "resend-otp", {
      email: "kim@example.com",
      code: await requestCode(t, "resend-otp", { email: "kim@example.com" }),
    });
    return t;
  },
};

type CaseView = Awaited<ReturnType<typeof openCases>>[number];

/** Each resolution, with the ids a person would pick from the case. */
const RESOLUTIONS = {
  link: (t: Backend, view: CaseView) => {
    const userId = view.review.user_id ?? "";
    const row =
      view.rows.find((r) => r.doc !== null && r.pairedUserId !== userId) ??
      view.rows[0];
    const rowId = row?.id ?? "";
    const current = view.counterpart?._id;
    return t.mutation(internal.reviews.link, {
      reviewId: view.review._id,
      version: view.version,
      userId,
      rowId,
      ...(current !== undefined && current !== rowId
        ? { retireCurrent: current }
        : {}),
    });
  },
  keepSeparate: (t: Backend, view: CaseView) => {
    const userId = view.review.user_id ?? "";
    const row =
      view.rows.find((r) => r.doc !== null && r.pairedUserId !== userId) ??
      view.rows[0];
    return t.mutation(internal.reviews.keepSeparate, {
      reviewId: view.review._id,
      version: view.version,
      userId,
      rowId: row?.id ?? "",
    });
  },
  retire: (t: Backend, view: CaseView) => {
    const row =
      view.rows.find((r) => r.doc !== null && r.pairedUserId === null) ??
      view.rows[0];
    return t.mutation(internal.reviews.retire, {
      reviewId: view.review._id,
      version: view.version,
      rowId: row?.id ?? "",
    });
  },
  dismiss: (t: Backend, view: CaseView) =>
    t.mutation(internal.reviews.dismiss, {
      reviewId: view.review._id,
      version: view.version,
    }),
};
type ResolutionName = keyof typeof RESOLUTIONS;

/**
 * The resolutions refused for a kind of case, with the code they answer: a
 * case naming no user can be neither linked nor kept apart, a case naming
 * no row has nothing to retire, and another account's pair is never taken.
 */
const NO_USER = {
  link: "INVALID_ARGUMENT",
  keepSeparate: "INVALID_ARGUMENT",
} as const;
const NO_ROW = { ...NO_USER, retire: "INVALID_ARGUMENT" } as const;
const REFUSED: Record<string, Partial<Record<ResolutionName, ErrorCode>>> = {
  "reference_conflict (the row's)": NO_USER,
  sign_in_sync_failed: NO_ROW,
  row_sync_failed: NO_ROW,
  duplicate_account: { link: "CONFLICT", retire: "CONFLICT" },
};

/** Which open case a variant is: its kind, and whether it names a user. */
function pick(variant: string, cases: CaseView[]): CaseView | undefined {
  const [kind, side] = variant.split(" (");
  return cases.find(
    (c) =>
      c.review.kind === kind &&
      (side === undefined || (side === "the row's)") === (c.user === null)),
  );
}

describe("the review queue and the drift report agree", () => {
  for (const [kind, build] of Object.entries(CASES)) {
    for (const name of Object.keys(RESOLUTIONS) as ResolutionName[]) {
      test(`${name} on ${kind}`, async () => {
        const t = await build();
        const view = pick(kind, await openCases(t));
        expect(view, `an open ${kind} case`).toBeDefined();
        expect(await uncovered(t)).toEqual([]);
        const refused = REFUSED[kind]?.[name];
        const resolve = () => RESOLUTIONS[name](t, view!);
        if (refused === undefined) await resolve();
        else await expectRejectedWithoutWrites(t, resolve, refused);
        expect(await uncovered(t)).toEqual([]);
        await syncRun(t);
        expect(await uncovered(t)).toEqual([]);
      });
    }
  }
});

describe("a resolution of one row of a case", () => {
  test("keep-separate on one of two candidate rows leaves a case for the other", async () => {
    const t = newBackend();
    const a = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "A",
    });
    const b = await insertLegacyRow(t, {
      email: "ken@example.com",
      company: "B",
    });
    const ken = await signInWithOAuth(t, {
      providerAccountId: "gh-ken",
      profile: { name: "Ken", email: "ken@example.com" },
    });
    const [view] = await openCases(t);
    expect(view!.review.kind).toBe("ambiguous_email");
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view!.review._id,
      version: view!.version,
      userId: ken.userId,
      rowId: a,
    });
    // B is still in question: Ken has a row of his own, and B holds his
    // verified address. A was decided: no longer ambiguous.
    const [left, ...others] = await openCases(t);
    expect(others).toEqual([]);
    expect(left!.review).toMatchObject({
      kind: "ambiguous_email",
      user_id: ken.userId,
      row_ids: [b],
    });
    const drift = await driftItems(t);
    expect(drift.filter((item) => item.kind === "ambiguous_email")).toEqual([
      { kind: "ambiguous_email", id: b },
    ]);
    expect(await uncovered(t)).toEqual([]);
    await syncRun(t);
    expect((await openCases(t)).map((c) => c.review._id)).toEqual([
      left!.review._id,
    ]);

    // Keeping B apart too settles the address: both rows wait, no drift is
    // left that needs a person.
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: left!.review._id,
      version: left!.version,
      userId: ken.userId,
      rowId: b,
    });
    expect(await openCases(t)).toEqual([]);
    expect((await driftItems(t)).map((item) => item.kind).sort()).toEqual([
      "pending_link",
      "pending_link",
    ]);
  });

  test("an unverified claim a person kept apart is no drift", async () => {
    const t = await CASES.unverified_email_match!();
    const [view] = await openCases(t);
    await t.mutation(internal.reviews.keepSeparate, {
      reviewId: view!.review._id,
      version: view!.version,
      userId: view!.review.user_id!,
      rowId: view!.review.row_ids[0]!,
    });
    expect(await openCases(t)).toEqual([]);
    expect((await driftItems(t)).map((item) => item.kind)).toEqual([
      "pending_link",
    ]);
  });
});
