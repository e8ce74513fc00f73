import { env } from "./_generated/server";

// Convex Auth issues its own JWTs; CONVEX_SITE_URL is set by Convex on every
// deployment (https://labs.convex.dev/auth/setup/manual).
export default {
  providers: [
    {
      domain: env.CONVEX_SITE_URL,
      applicationID: "convex",
    },
  ],
};
