/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as admin from "../admin.js";
import type * as auditLog from "../auditLog.js";
import type * as auth from "../auth.js";
import type * as authSync from "../authSync.js";
import type * as console from "../console.js";
import type * as crons from "../crons.js";
import type * as directory from "../directory.js";
import type * as directoryEntries from "../directoryEntries.js";
import type * as directorySearch from "../directorySearch.js";
import type * as driftReport from "../driftReport.js";
import type * as errors from "../errors.js";
import type * as fold from "../fold.js";
import type * as functions from "../functions.js";
import type * as http from "../http.js";
import type * as inputs from "../inputs.js";
import type * as migrations_syncUserTables from "../migrations/syncUserTables.js";
import type * as operators from "../operators.js";
import type * as providers from "../providers.js";
import type * as reviews from "../reviews.js";
import type * as searchTextWrites from "../searchTextWrites.js";
import type * as starterTemplates from "../starterTemplates.js";
import type * as sync from "../sync.js";
import type * as syncEngine from "../syncEngine.js";
import type * as userLookup from "../userLookup.js";
import type * as userSync from "../userSync.js";
import type * as userViews from "../userViews.js";
import type * as users from "../users.js";
import type * as validators from "../validators.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  admin: typeof admin;
  auditLog: typeof auditLog;
  auth: typeof auth;
  authSync: typeof authSync;
  console: typeof console;
  crons: typeof crons;
  directory: typeof directory;
  directoryEntries: typeof directoryEntries;
  directorySearch: typeof directorySearch;
  driftReport: typeof driftReport;
  errors: typeof errors;
  fold: typeof fold;
  functions: typeof functions;
  http: typeof http;
  inputs: typeof inputs;
  "migrations/syncUserTables": typeof migrations_syncUserTables;
  operators: typeof operators;
  providers: typeof providers;
  reviews: typeof reviews;
  searchTextWrites: typeof searchTextWrites;
  starterTemplates: typeof starterTemplates;
  sync: typeof sync;
  syncEngine: typeof syncEngine;
  userLookup: typeof userLookup;
  userSync: typeof userSync;
  userViews: typeof userViews;
  users: typeof users;
  validators: typeof validators;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
