/**
 * The other choice of what deleting a row does: this app declares
 * `onRowDelete: "deleteAccount"` (the conformance suite checks it), and
 * here the same app with `"keepAccount"` deletes the row alone, through
 * its own mutations and triggers; the conformance property holds for it
 * too.
 */
import { vi } from "vitest";
import {
  consistencyProperty,
  OTHER_CHOICE_RUNS,
} from "../../../conformance/property";
import { rowDeletionConformance } from "../../../conformance/rowDeletion";
import { seedApp } from "./conformance.helpers";

// The app's own declaration, with the other choice (one module instance per
// test file: the other files keep the app's choice).
vi.mock("./sync", async (importOriginal) => {
  const real = await importOriginal<typeof import("./sync")>();
  Object.assign(real.userSync.shape, { onRowDelete: "keepAccount" });
  return real;
});

rowDeletionConformance(seedApp);
consistencyProperty("seed, keepAccount", seedApp, OTHER_CHOICE_RUNS);
