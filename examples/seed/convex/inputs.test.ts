import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { appError, isAppError } from "./errors";
import {
  cleanEmail,
  cleanImageUrl,
  cleanName,
  cleanOptionalText,
} from "./inputs";

describe("inputs and errors", () => {
  test("cleaners trim, bound and normalize", () => {
    expect(cleanName("  Ada ")).toBe("Ada");
    expect(cleanOptionalText("company", "  ")).toBeUndefined();
    expect(cleanEmail(" A@B.com ")).toBe("a@b.com");
    expect(cleanImageUrl(" https://x.example/a.png ")).toBe(
      "https://x.example/a.png",
    );
    for (const bad of [
      () => cleanName(""),
      () => cleanEmail("x"),
      () => cleanImageUrl("ftp://x"),
    ]) {
      expect(bad).toThrow(ConvexError);
    }
  });

  test("isAppError recognizes exactly the app's coded errors", () => {
    expect(isAppError(appError("NOT_FOUND", "x"))).toBe(true);
    expect(isAppError(new ConvexError({ code: "OTHER", message: "x" }))).toBe(
      false,
    );
    expect(isAppError(new ConvexError("plain"))).toBe(false);
    expect(isAppError(new Error("x"))).toBe(false);
  });
});
