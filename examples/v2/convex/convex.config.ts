import { defineApp } from "convex/server";
import { v } from "convex/values";
import auth from "@convex-dev/auth/convex.config";
import authPassword from "@convex-dev/auth/components/password/convex.config";
import authEmail from "@convex-dev/auth/components/email/convex.config";
import authGithub from "@convex-dev/auth/components/github/convex.config";
import resend from "@convex-dev/resend/convex.config";

/**
 * Convex Auth v2 as components: the core (sessions) mounted as `auth`, one
 * component per sign-in method, and Resend, through which the email method
 * sends its codes. The mount names are the ones the methods' `setup*` and
 * the test helpers expect.
 */
const app = defineApp({
  env: {
    AUTH_GITHUB_CLIENT_ID: v.string(),
    AUTH_GITHUB_CLIENT_SECRET: v.string(),
  },
});

app.use(auth);
app.use(authPassword);
app.use(authEmail);
// GitHub's callback is the component's own HTTP route, served under this
// prefix: register `<site>/oauth/github/callback` with GitHub.
app.use(authGithub, {
  httpPrefix: "/oauth/github",
  env: {
    CLIENT_ID: app.env.AUTH_GITHUB_CLIENT_ID,
    CLIENT_SECRET: app.env.AUTH_GITHUB_CLIENT_SECRET,
  },
});
app.use(resend);

export default app;
