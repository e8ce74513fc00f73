/**
 * What a Convex Auth v2 sign-in proves (pure): each method's profile, and
 * the `users` fields and method list a proof writes.
 */
import { describe, expect, test } from "vitest";
import {
  MAX_AUTH_METHODS,
  methodProof,
  proofFields,
  withMethod,
} from "./proof.js";

const user = (fields: Record<string, unknown>) => ({
  _id: "u1" as never,
  _creationTime: 1,
  ...fields,
});

describe("methodProof", () => {
  test("a GitHub address the provider verified is proven, with the account id, name and picture", () => {
    expect(
      methodProof("github", {
        id: "42",
        login: "ada",
        email: "ada@example.com",
        emailVerified: true,
        name: "Ada",
        avatarUrl: "https://a/1.png",
      }),
    ).toEqual({
      method: "github",
      account: "42",
      email: "ada@example.com",
      verified: true,
      emailFromComponent: false,
      name: "Ada",
      image: "https://a/1.png",
    });
  });

  test("an address GitHub did not verify (its public profile's) is carried, never proven", () => {
    const proof = methodProof("github", {
      id: "42",
      login: "ada",
      email: "ada@example.com",
      emailVerified: false,
    });
    expect(proof.email).toBe("ada@example.com");
    expect(proof.verified).toBe(false);
  });

  test("Google's picture is the image; a missing emailVerified is not a proof", () => {
    const proof = methodProof("google", {
      id: "g1",
      email: "ada@example.com",
      picture: "https://p",
    });
    expect(proof).toMatchObject({ image: "https://p", verified: false });
  });

  test("email + password proves its address through the email component, not its (empty) profile", () => {
    expect(methodProof("emailPassword", {})).toEqual({
      method: "emailPassword",
      verified: false,
      emailFromComponent: true,
    });
  });

  test("methods without an address prove none, whatever their profile says", () => {
    for (const method of ["usernamePassword", "usernamePasskey", "anonymous"]) {
      expect(
        methodProof(method, { email: "ada@example.com", emailVerified: true }),
      ).toEqual({ method, verified: false, emailFromComponent: false });
    }
  });

  test("a profile that is not an object, or an empty address, proves nothing", () => {
    expect(methodProof("github", null).verified).toBe(false);
    expect(
      methodProof("github", { id: "1", email: "", emailVerified: true }),
    ).toMatchObject({ email: undefined, verified: false });
  });
});

describe("proofFields", () => {
  const github = (email: string, verified: boolean) =>
    methodProof("github", { id: "1", email, emailVerified: verified });

  test("a new user gets the verified address with the sign-in's time", () => {
    expect(proofFields(github("ada@example.com", true), null, 5)).toEqual({
      email: "ada@example.com",
      emailVerificationTime: 5,
    });
  });

  test("the same verified address keeps its first verification time", () => {
    const ada = user({ email: "ada@example.com", emailVerificationTime: 2 });
    expect(proofFields(github("ada@example.com", true), ada, 9)).toEqual({
      email: "ada@example.com",
      emailVerificationTime: 2,
    });
  });

  test("an unverified address never replaces a verified one", () => {
    const ada = user({ email: "ada@example.com", emailVerificationTime: 2 });
    expect(proofFields(github("mallory@example.com", false), ada, 9)).toEqual(
      {},
    );
  });

  test("an unverified address is kept where no verified one is, without a verification time", () => {
    expect(proofFields(github("ada@example.com", false), null, 9)).toEqual({
      email: "ada@example.com",
    });
  });

  test("a newly verified address replaces the old one, verified now", () => {
    const ada = user({ email: "old@example.com", emailVerificationTime: 2 });
    expect(proofFields(github("new@example.com", true), ada, 9)).toEqual({
      email: "new@example.com",
      emailVerificationTime: 9,
    });
  });
});

describe("withMethod", () => {
  const proof = methodProof("github", { id: "42" });

  test("a first method is listed with its account id", () => {
    expect(withMethod(undefined, proof)).toEqual([
      { method: "github", account: "42" },
    ]);
  });

  test("a method listed already returns the same array: nothing to write", () => {
    const listed = [{ method: "github", account: "42" }];
    expect(withMethod(listed, proof)).toBe(listed);
  });

  test("another account of one provider is listed beside the first", () => {
    expect(
      withMethod(
        [{ method: "github", account: "7" }],
        methodProof("github", { id: "42" }),
      ),
    ).toHaveLength(2);
  });

  test("the list stops growing at its bound", () => {
    const full = Array.from({ length: MAX_AUTH_METHODS }, (_, i) => ({
      method: "github",
      account: String(i + 100),
    }));
    expect(withMethod(full, proof)).toBe(full);
  });
});
