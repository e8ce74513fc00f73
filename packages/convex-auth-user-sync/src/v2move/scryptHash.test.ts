/**
 * v1's password hashes, read for v2's tooling (docs/v2-move.md, "Passwords").
 * lucia comes with Convex Auth v1 (its Password provider hashes with it):
 * these tests read real hashes, not a copy of their format.
 */
import { Scrypt } from "lucia";
// The key derivation lucia's Scrypt runs, without its encoding around it.
import { scrypt } from "lucia/dist/scrypt/index.js";
import { describe, expect, test } from "vitest";
import { isScryptHash, scryptPhcParts } from "./scryptHash.js";

describe("v1's Scrypt hashes", () => {
  test("a hash v1's Password provider writes is recognized; others are not", async () => {
    const hash = await new Scrypt().hash("correct horse battery");
    expect(isScryptHash(hash)).toBe(true);
    for (const other of [
      `s2:${hash}`,
      hash.toUpperCase(),
      "$2b$10$abcdefghijklmnopqrstuv",
      "",
    ]) {
      expect(isScryptHash(other)).toBe(false);
    }
  });

  test("its parts derive the same key from the NFKC password, as lucia checks it", async () => {
    // Full-width P and the fi ligature: NFKC changes both.
    const password = "\uFF30assword-\uFB01 12";
    const hash = await new Scrypt().hash(password);
    const parts = scryptPhcParts(hash);
    expect([parts.ln, parts.r, parts.p]).toEqual([14, 16, 1]);
    const derive = async (input: string) =>
      await scrypt(new TextEncoder().encode(input), parts.salt, {
        N: 2 ** parts.ln,
        r: parts.r,
        p: parts.p,
        dkLen: parts.hash.length,
      });
    expect(new Uint8Array(await derive(password.normalize("NFKC")))).toEqual(
      parts.hash,
    );
    expect(new Uint8Array(await derive(password))).not.toEqual(parts.hash);
  });

  test("a secret that is not lucia's Scrypt has no parts", () => {
    expect(() => scryptPhcParts("nope")).toThrow("Not a lucia Scrypt hash");
  });
});
