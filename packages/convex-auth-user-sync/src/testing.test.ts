/**
 * The testing entry point's pure parts: offline keys Convex Auth can sign
 * with and a client can verify, and the session a token names.
 */
import { createLocalJWKSet, importPKCS8, jwtVerify, SignJWT } from "jose";
import { describe, expect, test } from "vitest";
import { offlineAuthEnv, sessionOfToken } from "./testing.js";

describe("offlineAuthEnv", () => {
  test("a token signed with its private key verifies against its JWKS", async () => {
    const env = await offlineAuthEnv({ siteUrl: "http://localhost:3000" });
    expect(env).toMatchObject({
      CONVEX_SITE_URL: "https://offline-test.convex.site",
      SITE_URL: "http://localhost:3000",
    });
    // As Convex Auth reads it (tokens.ts): the PEM, newlines as spaces.
    const key = await importPKCS8(env.JWT_PRIVATE_KEY!, "RS256");
    const token = await new SignJWT({ sub: "user1|session1" })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(env.CONVEX_SITE_URL!)
      .sign(key);
    const jwks = createLocalJWKSet(
      JSON.parse(env.JWKS!) as Parameters<typeof createLocalJWKSet>[0],
    );
    const { payload } = await jwtVerify(token, jwks);
    expect(payload.sub).toBe("user1|session1");
    expect(sessionOfToken(token)).toEqual({
      userId: "user1",
      sessionId: "session1",
    });
  });
});

describe("sessionOfToken", () => {
  test("refuses what is not a Convex Auth token", () => {
    expect(() => sessionOfToken("not-a-jwt")).toThrow(/Not a JWT/);
    const payload = btoa(JSON.stringify({ sub: "no-session" }));
    expect(() => sessionOfToken(`h.${payload}.s`)).toThrow(/subject/);
  });
});
