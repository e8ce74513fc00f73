/**
 * The web console in a real browser, offline: `npm run demo:web` serves it
 * against the app's real functions (convex-test, see localConvex.ts), and
 * Debian's Chromium, driven by playwright-core, signs in with a password,
 * edits a profile, has an administrator run a sync and watch it complete,
 * and resolves one case of each kind. Screenshots go to SCREENSHOTS_DIR
 * (default examples/seed/.screenshots; docs/images holds the README's).
 *
 * Skipped, saying so, where no Chromium is installed
 * (`apt-get install -y chromium`; .ci/run installs it).
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  type Demo,
  shoot,
  signIn as signInAt,
  startDemo,
  warnIfNoChromium,
} from "./browser.helpers";
import { DEMO_ADMIN, DEMO_USER } from "./demoAccounts";

const executablePath = warnIfNoChromium("the web console's browser test");

let demo: Demo;

const signIn = (page: Page, email: string) =>
  signInAt(page, demo.origin, email);

describe.skipIf(executablePath === undefined)("the web console", () => {
  beforeAll(async () => {
    demo = await startDemo(executablePath!);
  });

  afterAll(async () => {
    await demo?.stop();
  });

  afterEach(() => {
    expect(demo.pageErrors.splice(0)).toEqual([]);
  });

  const newPage = () => demo.newPage();

  test("a user signs in with a password and edits their profile", async () => {
    const page = await newPage();
    await signIn(page, DEMO_USER);
    await page.fill('input[name="name"]', "Ada Lovelace");
    await page.fill('input[name="company"]', "Analytical Engines");
    await page.click('[data-testid="profile-save"]');
    // The record updates from the subscription, not from the form.
    await expect
      .poll(() => page.textContent('[data-testid="profile-name"]'))
      .toBe("Ada Lovelace");
    expect(await page.textContent('[data-testid="profile-company"]')).toBe(
      "Analytical Engines",
    );
    expect(await page.textContent('[data-testid="profile-message"]')).toBe(
      "Saved.",
    );
    // Not an administrator: no console pages.
    expect(await page.locator('[data-testid="tab-health"]').count()).toBe(0);
    await page.context().close();
  });

  test("an administrator starts a run and watches it complete", async () => {
    const page = await newPage();
    await signIn(page, DEMO_ADMIN);
    await page.click('[data-testid="tab-health"]');
    await page.waitForSelector('[data-testid="drift-chart"]');
    expect(await page.textContent('[data-testid="drift-chart"]')).toContain(
      "pending_link",
    );
    await page.fill('[data-testid="page-size"]', "5");
    // Every state the progress bar shows, as it shows it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      setInterval(() => {
        const status = document.querySelector(
          '[data-testid="run-status"]',
        )?.textContent;
        const checked = document
          .querySelector('[data-testid="progress"]')
          ?.getAttribute("data-checked");
        const state = `${status}:${checked}`;
        if (status && seen.at(-1) !== state) seen.push(state);
      }, 10);
    });
    await page.click('[data-testid="run"]');
    await expect
      .poll(() => page.textContent('[data-testid="run-status"]'), {
        timeout: 60_000,
      })
      .toBe("Completed");
    const seen = await page.evaluate(
      () => (window as unknown as { seen: string[] }).seen,
    );
    // The run began, its pages ran in the scheduler, and the bar followed.
    expect(seen[0]).toMatch(/^Running:/);
    const [, total] = seen.at(-1)!.split(":");
    expect(seen.at(-1)).toBe(`Completed:${total}`);
    expect(Number(total)).toBeGreaterThan(130);
    expect(await page.textContent('[data-testid="latest-run"]')).toMatch(
      /pages · costliest page: \d+ reads/,
    );
    await shoot(page, "console-health.png");
    await page.context().close();
  });

  test("an administrator resolves one case of each kind", async () => {
    const page = await newPage();
    await signIn(page, DEMO_ADMIN);
    await page.click('[data-testid="tab-reviews"]');
    const card = (kind: string) => page.locator(`[data-testid="case-${kind}"]`);
    await card("unverified_email_match").waitFor();
    await shoot(page, "console-reviews.png");

    // The case resolved goes; a case for rows still in question may follow.
    const resolveWith = async (kind: string, button: string) => {
      const shown = await card(kind).first().getAttribute("data-review");
      await card(kind).locator(`[data-testid="${button}"]`).first().click();
      // Each resolution shows what it will do first, and asks.
      await card(kind).locator('[data-testid="resolution-confirm"]').click();
      await page
        .locator(`[data-review="${shown}"]`)
        .waitFor({ state: "detached" });
    };
    // Grace confirmed: her legacy row becomes hers, her new row retired.
    await resolveWith("unverified_email_match", "link");
    // One of Ken's two imported rows is not his; the case left for the
    // other names it alone, and it is his.
    await resolveWith("ambiguous_email", "keep-separate");
    await resolveWith("ambiguous_email", "link");
    // Linus's imported copy goes; his own row stays.
    await resolveWith("duplicate_counterpart", "retire");
    // The old orphan is left as it is.
    await resolveWith("reference_conflict", "dismiss");
    await page.waitForSelector('[data-testid="no-cases"]');

    // Each resolution is in the audit log, with the administrator as actor.
    await page.click('[data-testid="tab-audit"]');
    await page.waitForSelector('[data-testid="audit-entry"]');
    const log = await page
      .locator('[data-testid="audit-entry"]')
      .allTextContents();
    for (const action of [
      "resolve:link",
      "resolve:keep_separate",
      "resolve:retire",
      "resolve:dismiss",
    ]) {
      expect(log.some((entry) => entry.includes(action))).toBe(true);
    }
    expect(log[0]).toContain(DEMO_ADMIN);
    await page.locator('[data-testid="audit-entry"] summary').first().click();
    await shoot(page, "console-audit.png");

    // Grace's pair, as the user directory and her page show it.
    await page.click('[data-testid="tab-users"]');
    await page.fill('[data-testid="user-search"]', "grace@");
    await page.waitForSelector('[data-testid="user-match"]');
    const match = await page.textContent('[data-testid="user-match"]');
    expect(match).toContain("Paired both ways");
    await page.click('[data-testid="user-match"] [data-testid="user-link"]');
    await page.waitForSelector('[data-testid="user-page"]');
    const person = await page.textContent('[data-testid="user-page"]');
    // The legacy row's name, kept as chosen when it was linked.
    expect(person).toContain("Grace Hopper");
    expect(person).toContain("user's choice");
    await shoot(page, "console-users.png");
    await page.context().close();
  });
});
