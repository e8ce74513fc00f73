import type { Id } from "./_generated/dataModel";
import type { MutationCtx } from "./_generated/server";

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
  ownerId: Id<"auth_users">,
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
