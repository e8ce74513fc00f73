/**
 * The user directory and a person's page in a real browser, offline
 * (`npm run demo:web`, see browser.helpers.ts), at 1280 and 375 px: the
 * directory newest first with its columns, its pages, a search by name and
 * by address fragment, a person's page with both records, their cases and
 * audit entries; no horizontal scrolling, and axe-core finds nothing.
 * Screenshots go to SCREENSHOTS_DIR (default examples/seed/.screenshots).
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  axeViolations,
  type Demo,
  overflowX,
  shoot,
  signIn,
  startDemo,
  warnIfNoChromium,
} from "./browser.helpers";
import { DEMO_ADMIN } from "./demoAccounts";

const executablePath = warnIfNoChromium("the user directory's browser test");

const WIDTHS = [1280, 375] as const;

let demo: Demo;

describe.skipIf(executablePath === undefined)("the user directory", () => {
  beforeAll(async () => {
    demo = await startDemo(executablePath!);
  });

  afterAll(async () => {
    await demo?.stop();
  });

  afterEach(() => {
    expect(demo.pageErrors.splice(0)).toEqual([]);
  });

  /** A page `width` px wide (800 high at both widths). */
  async function newPage(width: number): Promise<Page> {
    return await demo.newPage({ width, height: 800 });
  }

  /** The names the directory shows, in order. */
  const shownNames = async (page: Page) =>
    await page
      .locator('[data-testid="user-match"] [data-testid="user-link"]')
      .allTextContents();

  test.each(WIDTHS)(
    "at %i px: newest first with every column, page by page, searchable",
    async (width) => {
      const page = await newPage(width);
      await signIn(page, demo.origin, DEMO_ADMIN);
      await page.click('[data-testid="tab-users"]');
      await page.waitForSelector('[data-testid="user-match"]');
      const headers = await page
        .locator('[data-testid="directory"] thead th')
        .allTextContents();
      expect(headers).toEqual([
        "Name",
        "Email",
        "Company",
        "Role",
        "Status",
        "Last sign-in",
        "Pair",
      ]);
      // Newest first: the accounts made at sign-up after the imported rows,
      // the imported customers from the last one down.
      const created = await page
        .locator('[data-testid="user-match"]')
        .evaluateAll((rows) =>
          rows.map((row) => Number(row.getAttribute("data-created"))),
        );
      expect(created).toHaveLength(20);
      expect([...created].sort((a, b) => b - a)).toEqual(created);
      const firstPage = await shownNames(page);
      expect(firstPage.indexOf("Customer 120")).toBeGreaterThan(0);
      expect(firstPage).not.toContain("Customer 100");
      // Pair health and company in words.
      const customer = page.locator('[data-testid="user-match"]', {
        hasText: "Customer 120",
      });
      expect(await customer.textContent()).toContain("No pair");
      expect(await customer.textContent()).toContain("Initech");
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await shoot(page, `console-directory-${width}.png`, {
        fullPage: width < 600,
      });

      // The next page follows on.
      await page.click('[data-testid="directory-more"]');
      await expect.poll(async () => (await shownNames(page)).length).toBe(40);
      const both = await shownNames(page);
      expect(both.slice(0, 20)).toEqual(firstPage);
      expect(both).toContain("Customer 100");

      // By name: every word.
      await page.fill('[data-testid="user-search"]', "Customer 5");
      await expect
        .poll(async () => await shownNames(page))
        .toContain("Customer 5");
      const byName = await shownNames(page);
      expect(byName.every((name) => /^Customer 5\d*$/.test(name))).toBe(true);
      // By an address fragment.
      await page.fill('[data-testid="user-search"]', "example.com");
      await expect.poll(async () => (await shownNames(page)).length).toBe(20);
      const emails = await page
        .locator('[data-testid="user-match"] td[data-label="Email"]')
        .allTextContents();
      expect(emails.every((email) => email.endsWith("@example.com"))).toBe(
        true,
      );
      await page.fill('[data-testid="user-search"]', "nobody at all");
      await page.waitForSelector('[data-testid="no-match"]');
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      await page.context().close();
    },
  );

  test.each(WIDTHS)(
    "at %i px: a person's page, both records, cases and audit entries",
    async (width) => {
      const page = await newPage(width);
      await signIn(page, demo.origin, DEMO_ADMIN);
      await page.click('[data-testid="tab-users"]');
      // Grace: a legacy row, and a sign-up of her own waiting for review.
      await page.fill('[data-testid="user-search"]', "grace@example.com");
      await page.waitForSelector('[data-testid="user-match"]');
      // Her own account (paired), not the legacy row waiting for her.
      const link = page
        .locator('[data-testid="user-match"]', { hasText: "Paired both ways" })
        .locator('[data-testid="user-link"]');
      const href = await link.getAttribute("href");
      expect(href).toMatch(/^\/users\/\w+$/);
      await link.click();
      await page.waitForSelector('[data-testid="user-page"]');
      expect(new URL(page.url()).pathname).toBe(href);
      const users = await page.textContent('[data-testid="record-users"]');
      const row = await page.textContent('[data-testid="record-auth_users"]');
      expect(users).toContain("Sign-in record");
      expect(row).toContain("Account");
      expect(row).toContain("grace@example.com");
      // Field names as labels, dates as dates, the name kept small.
      expect(row).toContain("Starter templates provisioned");
      expect(row).not.toMatch(
        /Starter templates provisioned\s*starter_templates_provisioned_at\s*\d{13}/,
      );
      const fields = await page.textContent('[data-testid="mirrored-fields"]');
      expect(fields).toContain("Sign-in provider");
      // Her open case, linked to its page.
      const caseLink = page.locator('[data-testid="case-link"]').first();
      expect(await caseLink.textContent()).toBe("Unverified email match");
      expect(await caseLink.getAttribute("href")).toMatch(/^\/reviews\/\w+$/);
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await shoot(page, `console-user-page-${width}.png`, { fullPage: true });

      // Back to the directory, then the administrator's own page: the
      // audit entry of their promotion.
      await page.goBack();
      await page.waitForSelector('[data-testid="user-search"]');
      await page.fill('[data-testid="user-search"]', DEMO_ADMIN);
      await page
        .locator('[data-testid="user-match"] [data-testid="user-link"]')
        .first()
        .click();
      await page.waitForSelector('[data-testid="user-audit-entry"]');
      const audit = await page
        .locator('[data-testid="user-audit-entry"]')
        .allTextContents();
      expect(audit.some((entry) => entry.includes("admin:setAdmin"))).toBe(
        true,
      );
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.context().close();
    },
  );
});
