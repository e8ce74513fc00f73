/**
 * `npm run demo:web`: the web console on localhost, against this app's real
 * Convex functions running in-process (convex-test, see localConvex.ts),
 * with seeded data: an administrator, a user, legacy rows, and one open case
 * for each resolution. No network, no Convex account.
 *
 * PORT picks the port (default 5173; 0 for any free one). The address is
 * printed as "Console: http://127.0.0.1:<port>/" once everything is ready.
 * PAGE_DELAY_MS (default 300; 0 for none) delays each scheduled function,
 * a run's pages among them, as a deployment's scheduler takes a moment
 * between pages: a run's progress bar then moves page by page.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer as createVite } from "vite";
import { CONVEX_SITE_URL } from "../../../dev/authEnv";
import { internal } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { signInOrThrow } from "../convex/signIn.helpers";
import { insertLegacyRow, signInWithOAuth } from "../convex/sync.helpers";
import { newScriptBackend, scriptModules } from "./backend";
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_USER } from "./demoAccounts";
import { LocalConvex, paceScheduledFunctions } from "./localConvex";

process.env.AUTH_LOG_LEVEL ??= "ERROR";

/** How long each scheduled function waits past its due time (ms). */
const PAGE_DELAY_MS = Number(process.env.PAGE_DELAY_MS ?? 300);

const t = newScriptBackend();
type Backend = typeof t;

/** The seeded world: people, legacy data, and one case per resolution. */
async function seed(t: Backend): Promise<void> {
  const signUp = (email: string) =>
    signInOrThrow(t, "password", {
      email,
      password: DEMO_PASSWORD,
      flow: "signUp",
    });
  // Administrator rights go to a verified address: an operator vouches for
  // this one (a password sign-up proves nothing about it).
  const admin = await signUp(DEMO_ADMIN);
  await t.mutation(internal.admin.editUser, {
    userId: admin.userId,
    emailVerified: true,
  });
  await t.mutation(internal.admin.setAdmin, {
    email: DEMO_ADMIN,
    isAdmin: true,
  });
  await signUp(DEMO_USER);

  // Legacy rows from before the sync, waiting for their owners: enough for
  // a run to take a few pages.
  const at = Date.UTC(2024, 0, 1);
  for (let i = 1; i <= 120; i++) {
    await insertLegacyRow(
      t,
      {
        email: `customer${i}@example.com`,
        full_name: `Customer ${i}`,
        company: i % 3 === 0 ? "Initech" : "Globex",
      },
      at + i,
    );
  }

  // link: Grace signs up with a password (unverified) on the address of
  // her legacy row; she got a row of her own, and the case waits.
  await insertLegacyRow(t, {
    email: "grace@example.com",
    full_name: "Grace Hopper",
    company: "US Navy",
    role: "Rear Admiral",
  });
  await signUp("grace@example.com");

  // keepSeparate: Ken's verified GitHub address is on two legacy rows.
  await insertLegacyRow(t, { email: "ken@example.com", company: "Bell Labs" });
  await insertLegacyRow(t, {
    email: "ken@example.com",
    company: "Imported twice",
  });
  await signInWithOAuth(t, {
    providerAccountId: "gh-ken",
    profile: { name: "Ken", email: "ken@example.com" },
  });

  // retire: an imported copy of Linus's row claims him.
  const linus = await signInWithOAuth(t, {
    providerAccountId: "gh-linus",
    profile: { name: "Linus", email: "linus@example.com" },
  });
  const copy = await t.run(
    async (ctx): Promise<Id<"auth_users">> =>
      await ctx.db.insert("auth_users", {
        convex_user_id: linus.userId,
        email: "linus@example.com",
        full_name: "Linus (imported copy)",
        company: "Transmeta",
        created_at: at,
        updated_at: at,
      }),
  );
  await t.mutation(internal.userSync.syncUser, { authUserId: copy });

  // dismiss: a row once paired that lost both references.
  const orphan = await t.run(
    async (ctx): Promise<Id<"auth_users">> =>
      await ctx.db.insert("auth_users", {
        email: "old-account@example.com",
        email_verified: true,
        full_name: "Old account",
        created_at: at,
        updated_at: at,
      }),
  );
  await t.mutation(internal.userSync.syncUser, { authUserId: orphan });

  // The rows above were written raw, as an import is: the directory's
  // search text, as an operator would backfill it (its later pages run
  // from the scheduler).
  await t.mutation(internal.directory.backfillSearchText, {});
}

/** Seeds the backend and serves the console; resolves once listening. */
async function startWebDemo(port: number) {
  await seed(t);
  const server = createServer();
  await new Promise<void>((resolve) =>
    server.listen(port, "127.0.0.1", resolve),
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The console reads the deployment's URL as a deployed build would.
  process.env.VITE_CONVEX_URL = origin;
  const vite = await createVite({
    configFile: join(import.meta.dirname, "..", "web", "vite.config.ts"),
    // Edits to web/ reload the page, over this same server.
    server: { middlewareMode: true, hmr: { server } },
    appType: "spa",
    logLevel: "warn",
  });
  // Paced once seeded: the seed's own scheduled work runs at full speed.
  paceScheduledFunctions(PAGE_DELAY_MS);
  const local = new LocalConvex(
    t,
    {
      jwks: process.env.JWKS!,
      issuer: CONVEX_SITE_URL,
    },
    scriptModules(),
  );
  local.attach(server, (request, response) =>
    vite.middlewares(request, response),
  );
  return { origin };
}

const { origin } = await startWebDemo(Number(process.env.PORT ?? 5173));
console.log(`Console: ${origin}/`);
console.log(
  `Sign in as ${DEMO_ADMIN} (administrator) or ${DEMO_USER}, password ${DEMO_PASSWORD}. Ctrl-C stops.`,
);
