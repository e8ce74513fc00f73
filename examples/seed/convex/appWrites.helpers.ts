/**
 * "Any other app code": mutations that write the user tables directly with
 * ctx.db, built with the app's own builders, as a future feature or an admin
 * tool would be. Tests mount this file as the module `appWrites` to prove the
 * triggers cover such writes (a multi-dot file: never deployed).
 */
import { v } from "convex/values";
import type { Id } from "./_generated/dataModel";
import { internalMutation } from "./functions";
import { accountStatusValidator } from "./validators";

const userFields = {
  name: v.optional(v.string()),
  image: v.optional(v.string()),
  email: v.optional(v.string()),
  emailVerificationTime: v.optional(v.number()),
  status: v.optional(accountStatusValidator),
};

export const insertUser = internalMutation({
  args: userFields,
  returns: v.id("users"),
  handler: async (ctx, args) => await ctx.db.insert("users", args),
});

export const insertAuthUser = internalMutation({
  args: {
    email: v.optional(v.string()),
    full_name: v.optional(v.string()),
    company: v.optional(v.string()),
  },
  returns: v.id("auth_users"),
  handler: async (ctx, args) =>
    await ctx.db.insert("auth_users", {
      ...args,
      created_at: Date.now(),
      updated_at: Date.now(),
    }),
});

export const patchUser = internalMutation({
  args: { id: v.id("users"), fields: v.object(userFields) },
  returns: v.null(),
  handler: async (ctx, { id, fields }) => {
    await ctx.db.patch("users", id, fields);
    return null;
  },
});

export const replaceAuthUser = internalMutation({
  args: {
    id: v.id("auth_users"),
    full_name: v.optional(v.string()),
    company: v.optional(v.string()),
    email: v.optional(v.string()),
    status: v.optional(accountStatusValidator),
  },
  returns: v.null(),
  handler: async (ctx, { id, ...fields }) => {
    const row = await ctx.db.get("auth_users", id);
    if (row === null) throw new Error("no such row");
    const { _id, _creationTime, ...rest } = row;
    await ctx.db.replace("auth_users", id, { ...rest, ...fields });
    return null;
  },
});

/** Deletes a `users` or `auth_users` row, as app code would. */
export const deleteRow = internalMutation({
  args: { id: v.union(v.id("users"), v.id("auth_users")) },
  returns: v.null(),
  handler: async (ctx, { id }) => {
    const userId = ctx.db.normalizeId("users", id);
    if (userId !== null) await ctx.db.delete("users", userId);
    else await ctx.db.delete("auth_users", id as Id<"auth_users">);
    return null;
  },
});

/** Module map entries that mount this file as `appWrites`. */
export const APP_WRITE_MODULES = {
  "./appWrites.ts": () => import("./appWrites.helpers"),
};
