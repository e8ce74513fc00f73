/* eslint-disable @convex-dev/no-process-env -- Convex Auth's own template, verbatim, so `npx @convex-dev/auth` finds it set up and never stops to ask */
// Convex Auth issues its own JWTs; CONVEX_SITE_URL is set by Convex on every
// deployment (https://labs.convex.dev/auth/setup/manual).
export default {
  providers: [
    {
      domain: process.env.CONVEX_SITE_URL,
      applicationID: "convex",
    },
  ],
};
