/**
 * The environment Convex Auth needs, for offline runs (tests, demo, bench):
 * a fresh RS256 key pair for its JWTs on every run (nothing secret is
 * committed), the deployment's URLs and placeholder OAuth client ids. A
 * deployment sets the same variables with `npx convex env set` (see the
 * README's deploy section).
 */
import { generateKeyPairSync } from "node:crypto";

export const CONVEX_SITE_URL = "https://offline-demo.convex.site";
export const SITE_URL = "http://localhost:5173";

/** Every variable Convex Auth and the configured providers read. */
export function offlineAuthEnv(): Record<string, string> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
  });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const jwk = publicKey.export({ format: "jwk" });
  return {
    CONVEX_SITE_URL,
    SITE_URL,
    // Convex Auth's CLI stores the key with its newlines as spaces.
    JWT_PRIVATE_KEY: pem.trimEnd().replace(/\n/g, " "),
    JWKS: JSON.stringify({ keys: [{ use: "sig", alg: "RS256", ...jwk }] }),
    AUTH_GITHUB_ID: "offline-github-client",
    AUTH_GITHUB_SECRET: "offline-github-secret",
    AUTH_GOOGLE_ID: "offline-google-client",
    AUTH_GOOGLE_SECRET: "offline-google-secret",
    // Resend's API is stubbed offline; the key only has to be there.
    AUTH_RESEND_KEY: "offline-resend-key",
    AUTH_EMAIL: "Convex user sync <sign-in@example.com>",
  };
}

/** Sets offlineAuthEnv() in process.env where a variable is not set yet. */
export function useOfflineAuthEnv(): void {
  for (const [key, value] of Object.entries(offlineAuthEnv())) {
    process.env[key] ??= value;
  }
}
