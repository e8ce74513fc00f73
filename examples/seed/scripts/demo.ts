/**
 * `npm run demo`: a scripted walkthrough of the sync on an in-process Convex
 * backend (convex-test): sign-ins by OAuth, password and emailed code, a
 * profile update, a dashboard edit healed by syncAllUsers; then the fold
 * into one table (docs/fold.md), phase by phase, a person who never signed
 * in claiming their placeholder, writes stopped on the app table, and
 * auth_users verified and retired. No network, no Convex account.
 *
 * Every sign-in goes through Convex Auth's real flows (the OAuth routes,
 * the `auth:signIn` action), with only GitHub's, Google's and Resend's HTTP
 * answers stubbed, so the callbacks run exactly as in production.
 */
import type { FoldPhase } from "convex-auth-user-sync";
import { api, internal } from "../convex/_generated/api";
import {
  type GitHubAccount,
  requestCode,
  signInOrThrow,
  signInViaOAuth,
} from "../convex/signIn.helpers";
import { STARTER_TEMPLATES } from "../convex/starterTemplates";
import {
  checkConsistency,
  insertLegacyRow,
  makeAdmin,
  readTables,
} from "../convex/sync.helpers";
import { newScriptBackend } from "./backend";

process.env.AUTH_LOG_LEVEL ??= "ERROR";

const t = newScriptBackend();
const step = (text: string) => console.log(`\n• ${text}`);

/** Ada's GitHub account, with her verified primary address. */
const adaOnGitHub = (avatar: string): GitHubAccount => ({
  id: 1815,
  login: "ada",
  name: "Ada",
  email: null,
  avatar_url: avatar,
  emails: [{ email: "ada@example.com", primary: true, verified: true }],
});

step("Two legacy auth_users rows exist from before the sync: Grace and Linus.");
await insertLegacyRow(t, {
  email: "grace@example.com",
  full_name: "Grace Hopper",
  company: "US Navy",
  role: "Rear Admiral",
});
await insertLegacyRow(t, {
  email: "linus@example.com",
  full_name: "Linus (legacy)",
  company: "Kernel Org",
});

step("New user: Ada signs in with GitHub for the first time.");
const ada = await signInViaOAuth(
  t,
  "github",
  adaOnGitHub("https://avatars/ada-1"),
);

step("Ada sets her profile in the app: name, company, role.");
await ada.asUser.mutation(api.users.updateUserProfile, {
  name: "Ada Lovelace",
  company: "Analytical Engines",
  role: "Developer",
});

step(
  "Returning user: Ada signs in again; GitHub reports a new avatar, and still the name 'Ada'.",
);
await signInViaOAuth(t, "github", adaOnGitHub("https://avatars/ada-2"));

step("Legacy link: Grace signs in with Google, which vouches for her address.");
await signInViaOAuth(t, "google", {
  sub: "google-grace",
  name: "ghopper",
  email: "Grace@Example.COM",
  email_verified: true,
});

step(
  "Unverified email: someone signs in with a GitHub account whose address linus@example.com GitHub has not verified.",
);
await signInViaOAuth(t, "github", {
  id: 666,
  login: "not-linus",
  name: "Not Linus",
  email: null,
  emails: [{ email: "linus@example.com", primary: true, verified: false }],
});

step(
  "Emailed code: Linus asks for a code (nothing is signed in yet), then enters it: his address is proven, his legacy row is his.",
);
const code = await requestCode(t, "resend-otp", { email: "linus@example.com" });
const pending = (await readTables(t)).users.filter(
  (user) => user.pendingFirstSignIn === true,
);
console.log(
  `  requested: ${pending.length} user awaiting its first sign-in, no row, no templates`,
);
await signInOrThrow(t, "resend-otp", { email: "linus@example.com", code });

step(
  "Password: Bob signs up with a password (his address stays unverified), then signs in again.",
);
await signInOrThrow(t, "password", {
  email: "bob@example.com",
  password: "correct horse battery",
  flow: "signUp",
});
await signInOrThrow(t, "password", {
  email: "bob@example.com",
  password: "correct horse battery",
  flow: "signIn",
});

step(
  "A dashboard edit breaks a reference; the drift report finds it, syncAllUsers mends it.",
);
const before = await readTables(t);
await t.run(async (ctx) => {
  await ctx.db.patch("users", before.users[0]!._id, {
    auth_user_id: undefined,
  });
});
const drift = await t.action(internal.driftReport.summary, {});
const found = [...drift.users.findings, ...drift.rows.findings]
  .map((f) => `${f.kind} ×${f.count}`)
  .join(", ");
console.log(`  drift report: ${found}`);
await t.mutation(internal.userSync.syncAllUsers, {});
// runAfter(0) pages are due at once on the real clock: nothing to advance.
await t.finishAllScheduledFunctions(() => {}, 1_000);
const run = await t.query(internal.syncEngine.getRun, {});
console.log(
  `  syncAllUsers: ${run?.status} in ${run?.pages} page(s), ${run?.counts.repaired} repaired`,
);

const { users, authUsers, templates, reviews } = await readTables(t);
// Readable aliases (U1, A1, ...) in place of raw document ids.
const alias = new Map<string, string>([
  ...users.map((u, i) => [u._id as string, `U${i + 1}`] as const),
  ...authUsers.map((a, i) => [a._id as string, `A${i + 1}`] as const),
]);
const short = (id: string | undefined) =>
  id ? (alias.get(id) ?? "dangling") : "—";

console.log("\nusers (Convex Auth)");
console.table(
  users.map((u) => ({
    _id: short(u._id),
    name: u.name ?? "—",
    email: u.email,
    image: u.image ?? "—",
    verified: u.emailVerificationTime !== undefined,
    auth_user_id: short(u.auth_user_id),
  })),
);
console.log("auth_users (app)");
console.table(
  authUsers.map((a) => ({
    _id: short(a._id),
    full_name: a.full_name ?? "—",
    email: a.email,
    company: a.company ?? "—",
    role: a.role ?? "—",
    convex_user_id: short(a.convex_user_id),
    templates: templates.filter((tpl) => tpl.owner_id === a._id).length,
  })),
);
console.log("sync_reviews (for an operator)");
console.table(
  reviews.map((r) => ({ kind: r.kind, email: r.email, detail: r.detail })),
);

const check = await checkConsistency(t);
console.log(
  check.consistent
    ? `CONSISTENT: ${users.length} users, each paired one-to-one with an auth_users row; ` +
        `${check.unlinkedRows} legacy row(s) wait for their owner's sign-in.`
    : `INCONSISTENT: ${JSON.stringify(check.problems)}`,
);
if (!check.consistent) {
  process.exitCode = 1;
  process.exit();
}

console.log("\n━━ The fold: from two tables to one (docs/fold.md) ━━");

step(
  "An operator makes Ada an administrator; Katherine, who never signed in, has a legacy row and the templates the app once gave it.",
);
await makeAdmin(t, "ada@example.com");
const katherine = await insertLegacyRow(t, {
  email: "katherine@example.com",
  full_name: "Katherine Johnson",
  company: "NASA",
  role: "Mathematician",
});
await t.run(async (ctx) => {
  const now = Date.now();
  for (const template of STARTER_TEMPLATES) {
    await ctx.db.insert("starter_templates", {
      owner_id: katherine,
      ...template,
      created_at: now,
    });
  }
  await ctx.db.patch("auth_users", katherine, {
    starter_templates_provisioned_at: now,
  });
});

/** Starts a phase (as `npx convex run fold:startFoldPhase` does), follows its run page by page. */
async function foldPhase(phase: FoldPhase, what: string) {
  step(
    `fold:startFoldPhase {"phase":"${phase}"${phase === "retire" ? ',"confirm":true' : ""}}: ${what}`,
  );
  const started = await t.mutation(internal.fold.startFoldPhase, {
    phase,
    // Small pages, so that the run's progress shows.
    pageSize: 2,
    ...(phase === "retire" ? { confirm: true } : {}),
  });
  if (started === null) {
    // A switch: no run, the stage moves at once.
    const status = await t.query(internal.fold.foldStatus, {});
    console.log(`  no run. stage: ${status.stage}`);
    return;
  }
  let pages = -1;
  for (;;) {
    // The next page job is due at once (runAfter(0)): let it start, then
    // wait for it, as a deployment's scheduler would run it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await t.finishInProgressScheduledFunctions();
    const run = await t.query(internal.syncEngine.getRun, {
      runId: started._id,
    });
    if (run === null) throw new Error(`${phase}: its run is gone`);
    if (run.pages !== pages || run.status !== "running") {
      pages = run.pages;
      const { checked, repaired, linked, created, needingReview } = run.counts;
      console.log(
        `  ${run.status} (${run.phase}), ${run.pages} page(s): ${checked} checked, ${repaired} repaired, ${linked} linked, ${created} created, ${needingReview} for review`,
      );
    }
    if (run.status !== "running") break;
  }
  const status = await t.query(internal.fold.foldStatus, {});
  console.log(`  stage: ${status.stage}. ${status.lastOutcome ?? ""}`);
}

await foldPhase(
  "expand",
  "auth_users' own fields (company, role, admin flag, sources, marker, creation time) get their home on users. The seed declares the fold from its first deploy, so every write kept the copies already: the run finds nothing to repair.",
);
await foldPhase(
  "placeholders",
  "Katherine, who never signed in, gets a users row no sign-in method owns: a placeholder, holding no provider's address.",
);
await foldPhase(
  "repoint",
  "every starter template's owner_id moves from the auth_users id to the users id.",
);

/** The users table, with each user's templates, by their users id. */
async function printUsers(title: string) {
  const folded = await readTables(t);
  const ids = new Map<string, string>([
    ...folded.users.map((u, i) => [u._id as string, `U${i + 1}`] as const),
    ...folded.authUsers.map((a, i) => [a._id as string, `A${i + 1}`] as const),
  ]);
  const named = (id: string | undefined) =>
    id ? (ids.get(id) ?? "dangling") : "—";
  console.log(`\n${title}`);
  console.table(
    folded.users.map((u) => ({
      _id: named(u._id),
      name: u.fullName ?? u.name ?? "—",
      email: u.email ?? (u.unclaimed === undefined ? "—" : "(placeholder)"),
      company: u.company ?? "—",
      role: u.role ?? "—",
      isAdmin: u.isAdmin === true,
      auth_user_id: named(u.auth_user_id),
      templates: folded.templates.filter((tpl) => tpl.owner_id === u._id)
        .length,
    })),
  );
  const byRow = folded.templates.filter((tpl) =>
    folded.authUsers.some((a) => a._id === tpl.owner_id),
  ).length;
  console.log(
    `starter_templates: ${folded.templates.length - byRow} owned by a users id, ${byRow} by an auth_users id`,
  );
  return folded;
}

await printUsers("users, folded (Convex Auth's table, now holding the app's)");

step(
  "Katherine signs in with Google, which vouches for her address: her new user takes over her placeholder, its values, templates and row.",
);
const katherineSignIn = await signInViaOAuth(t, "google", {
  sub: "google-katherine",
  name: "kjohnson",
  email: "katherine@example.com",
  email_verified: true,
});
const claimed = await readTables(t);
const katherineUser = claimed.users.find(
  (u) => u._id === katherineSignIn.userId,
)!;
console.log(
  `  her user: ${katherineUser.name}, ${katherineUser.company}, ${katherineUser.role}; ` +
    `${claimed.templates.filter((tpl) => tpl.owner_id === katherineUser._id).length} templates; ` +
    `placeholders left: ${claimed.users.filter((u) => u.unclaimed !== undefined).length}`,
);

const folded = await printUsers("users, after the claim");
const after = await checkConsistency(t);
const byRow = folded.templates.filter((tpl) =>
  folded.authUsers.some((a) => a._id === tpl.owner_id),
).length;
console.log(
  after.consistent && byRow === 0
    ? `CONSISTENT: ${folded.users.length} users, each paired one-to-one with an auth_users row; every template owned by a users id.`
    : `INCONSISTENT: ${JSON.stringify(after.problems)}; ${byRow} template(s) owned by an auth_users id`,
);
if (!after.consistent || byRow !== 0) {
  process.exitCode = 1;
  process.exit();
}

await foldPhase(
  "switch_reads",
  "the app reads a person from users alone: the library's lookups answer with the row rebuilt from users (its virtual row).",
);
await foldPhase(
  "stop_writes",
  "single-table mode: sign-ins, profile edits and operator commands write users alone; auth_users is no longer written.",
);

step(
  "Ada renames herself and Margaret signs up with GitHub: users alone changes; auth_users stays as it was, and Margaret gets no row.",
);
const frozen = (await readTables(t)).authUsers;
await ada.asUser.mutation(api.users.updateUserProfile, {
  name: "Ada King",
});
const margaret = await signInViaOAuth(t, "github", {
  id: 4242,
  login: "mhamilton",
  name: "Margaret Hamilton",
  email: "margaret@example.com",
  emails: [{ email: "margaret@example.com", primary: true, verified: true }],
});
const stopped = await readTables(t);
const me = await ada.asUser.query(api.users.getCurrentUser, {});
console.log(
  `  Ada's name: ${me?.name}; Margaret's user: ${stopped.users.find((u) => u._id === margaret.userId)?.fullName}, ` +
    `${stopped.templates.filter((tpl) => tpl.owner_id === margaret.userId).length} templates; ` +
    `auth_users unchanged: ${JSON.stringify(stopped.authUsers) === JSON.stringify(frozen)}`,
);

await foldPhase(
  "verify",
  "each auth_users row is checked against its home on users (Ada's rename came after the stop: hers is on users now), and every template names a user.",
);
await foldPhase(
  "retire",
  "take `npx convex export` first: each row is checked again, then deleted, with its user's reference to it.",
);

const retired = await printUsers("users, the one table");
const unowned = retired.templates.filter(
  (tpl) => !retired.users.some((u) => u._id === tpl.owner_id),
).length;
const oneTable =
  retired.authUsers.length === 0 &&
  unowned === 0 &&
  (await t.query(internal.fold.foldStatus, {})).stage === "retired";
console.log(
  oneTable
    ? `ONE TABLE: ${retired.users.length} users, no auth_users row left; every template owned by a user.`
    : `NOT FOLDED: ${retired.authUsers.length} auth_users row(s) left, ${unowned} template(s) owned by no user`,
);
process.exitCode = oneTable ? 0 : 1;
