/**
 * What `@convex-dev/auth/server` is to a module outside the examples (as the
 * library's built dist is): the v2 example's tests assert that it is the
 * example's own copy, 2.0.0 (see vitest.config.ts), whose server exports
 * `setupConvexAuth` where 0.0.95's exports `convexAuth`.
 */
import * as convexAuthServer from "@convex-dev/auth/server";

export const convexAuthServerExports: string[] = Object.keys(convexAuthServer);
