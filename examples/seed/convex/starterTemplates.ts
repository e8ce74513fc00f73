import type { Doc, Id } from "./_generated/dataModel";
import type { MutationCtx, QueryCtx } from "./_generated/server";
import { referencesHold } from "convex-auth-user-sync";

/**
 * Who a template names: the auth_users row, or, once the fold's re-point
 * has started, the users row (see docs/fold.md). A template may name
 * either while the fold is under way, so a lookup tries both.
 */
type OwnerId = Id<"auth_users"> | Id<"users">;

function ownerIdsOf(row: Doc<"auth_users">): OwnerId[] {
  return row.convex_user_id === undefined
    ? [row._id]
    : [row._id, row.convex_user_id];
}

async function ownedBy(
  ctx: QueryCtx,
  ownerIds: OwnerId[],
  key: string,
): Promise<Doc<"starter_templates">[]> {
  const owned = [];
  for (const ownerId of ownerIds) {
    owned.push(
      ...(await ctx.db
        .query("starter_templates")
        .withIndex("by_owner_id_and_key", (q) =>
          q.eq("owner_id", ownerId).eq("key", key),
        )
        .take(100)),
    );
  }
  return owned;
}

/** What every new user starts with. `key` is unique per owner. */
export const STARTER_TEMPLATES = [
  {
    key: "welcome",
    title: "Welcome",
    body: "A first note to get you going.",
  },
  {
    key: "meeting-notes",
    title: "Meeting notes",
    body: "Date, attendees, decisions, follow-ups.",
  },
  {
    key: "project-plan",
    title: "Project plan",
    body: "Goal, milestones, owners, risks.",
  },
] as const;

/**
 * Inserts the starter templates an owner does not have yet. Idempotent by
 * template key, so a retried or re-run provisioning never duplicates one.
 * Costs one index range per template; returns how many it inserted.
 *
 * @example await provisionStarterTemplates(ctx, authUserId, Date.now());
 */
export async function provisionStarterTemplates(
  ctx: MutationCtx,
  ownerId: OwnerId,
  now: number,
): Promise<number> {
  let inserted = 0;
  for (const template of STARTER_TEMPLATES) {
    // Per-key lookups stay bounded however many templates the owner has.
    const existing = await ctx.db
      .query("starter_templates")
      .withIndex("by_owner_id_and_key", (q) =>
        q.eq("owner_id", ownerId).eq("key", template.key),
      )
      .first();
    if (existing !== null) continue;
    await ctx.db.insert("starter_templates", {
      owner_id: ownerId,
      ...template,
      created_at: now,
    });
    inserted++;
  }
  return inserted;
}

/**
 * The sync's onSignIn hook: a row's first completed sign-in provisions its
 * templates and marks the row, so later sign-ins cost nothing more. Guests
 * (anonymous users) get none: anyone can create any number of them.
 */
export async function provisionOnFirstSignIn(
  ctx: MutationCtx,
  {
    user,
    row,
    now,
  }: { user: Doc<"users">; row: Doc<"auth_users">; now: number },
): Promise<void> {
  if (row.starter_templates_provisioned_at !== undefined) return;
  if (user.isAnonymous === true) return;
  const ownerId = (await referencesHold(ctx)) === "users" ? user._id : row._id;
  await provisionStarterTemplates(ctx, ownerId, now);
  await ctx.db.patch("auth_users", row._id, {
    starter_templates_provisioned_at: now,
  });
}

/**
 * The fold's onSignIn hook, once auth_users is no longer written (fold
 * stage writes_stopped, docs/fold.md): the same provisioning, owned by the
 * users id, marked on the user's home of the row's marker.
 */
export async function provisionOnFirstSignInOneTable(
  ctx: MutationCtx,
  { user, now }: { user: Doc<"users">; now: number },
): Promise<void> {
  if (user.starterTemplatesProvisionedAt !== undefined) return;
  if (user.isAnonymous === true) return;
  await provisionStarterTemplates(ctx, user._id, now);
  await ctx.db.patch("users", user._id, {
    starterTemplatesProvisionedAt: now,
  });
}

/** Deletes the templates these ids own; returns how many. */
async function deleteTemplatesOf(
  ctx: MutationCtx,
  ownerIds: OwnerId[],
): Promise<number> {
  let deleted = 0;
  for (const template of STARTER_TEMPLATES) {
    for (const copy of await ownedBy(ctx, ownerIds, template.key)) {
      await ctx.db.delete("starter_templates", copy._id);
      deleted++;
    }
  }
  return deleted;
}

/** The templates these ids own, for an export. */
async function exportTemplatesOf(
  ctx: QueryCtx,
  ownerIds: OwnerId[],
): Promise<{ templates: { key: string; title: string; body: string }[] }> {
  const templates = [];
  for (const template of STARTER_TEMPLATES) {
    for (const { key, title, body } of await ownedBy(
      ctx,
      ownerIds,
      template.key,
    )) {
      templates.push({ key, title, body });
    }
  }
  return { templates };
}

/**
 * The sync's onDeleteRow hook: a row's templates go with it. Returns how
 * many it deleted.
 */
export async function deleteStarterTemplates(
  ctx: MutationCtx,
  row: Doc<"auth_users">,
): Promise<number> {
  return await deleteTemplatesOf(ctx, ownerIdsOf(row));
}

/**
 * The sync's exportRow hook: a row's templates, for an export of its
 * owner's data (users:exportMyData, admin:exportUserData).
 */
export async function exportStarterTemplates(
  ctx: QueryCtx,
  row: Doc<"auth_users">,
): Promise<{ templates: { key: string; title: string; body: string }[] }> {
  return await exportTemplatesOf(ctx, ownerIdsOf(row));
}

/**
 * Who a user's templates name once the app table is no longer written
 * (the fold's single-table mode): the user, after the re-point, and the
 * frozen row it still names, should a template have escaped it.
 */
function ownerIdsOfUser(user: Doc<"users">): OwnerId[] {
  return user.auth_user_id === undefined
    ? [user._id]
    : [user._id, user.auth_user_id];
}

/**
 * The fold's onDeleteUser hook (single-table mode): a user's templates go
 * with their account. Returns how many it deleted.
 */
export async function deleteStarterTemplatesOfUser(
  ctx: MutationCtx,
  user: Doc<"users">,
): Promise<number> {
  return await deleteTemplatesOf(ctx, ownerIdsOfUser(user));
}

/**
 * The fold's exportUser hook (single-table mode): a user's templates, for
 * an export of their data.
 */
export async function exportStarterTemplatesOfUser(
  ctx: QueryCtx,
  user: Doc<"users">,
): Promise<{ templates: { key: string; title: string; body: string }[] }> {
  return await exportTemplatesOf(ctx, ownerIdsOfUser(user));
}
