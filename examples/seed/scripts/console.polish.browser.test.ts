/**
 * The console's finish across views, in a real browser, offline
 * (`npm run demo:web`, see browser.helpers.ts), at 1280 and 375 px: review
 * cards with field labels in words and values as the user page shows them,
 * nothing overlapping; empty and error states in words (an error with its
 * code, announced); sync health's "Older runs"; the audit log in words,
 * readable on a phone; no horizontal overflow and zero axe-core violations
 * on each view. Writes the phone-width screenshots the docs show (and the
 * directory at 1280 px) to SCREENSHOTS_DIR.
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  axeViolations,
  type Demo,
  DESKTOP,
  overflowX,
  PHONE,
  shoot,
  signIn,
  startDemo,
  warnIfNoChromium,
} from "./browser.helpers";
import { DEMO_ADMIN } from "./demoAccounts";

const executablePath = warnIfNoChromium("the console's polish browser test");

/** The widths every check runs at: a laptop and a phone. */
const VIEWPORTS = { 1280: DESKTOP, 375: PHONE } as const;
const WIDTHS = [1280, 375] as const;

let demo: Demo;

/** An administrator's page at `width`, signed in at `path`. */
async function adminPage(width: 1280 | 375, path: string): Promise<Page> {
  const page = await demo.newPage(VIEWPORTS[width]);
  await signIn(page, demo.origin, DEMO_ADMIN, path);
  return page;
}

/** Nothing sticks out sideways, and axe-core finds nothing. */
async function expectFitsAndAccessible(page: Page, view: string) {
  expect(await overflowX(page), `overflow of ${view}`).toBeLessThanOrEqual(0);
  expect(await axeViolations(page), `axe on ${view}`).toEqual([]);
}

/** Field labels that overlap their value, or whose text spills its cell. */
async function overlaps(page: Page, rows: string): Promise<string[]> {
  return await page.$$eval(rows, (trs) =>
    trs.flatMap((tr) => {
      const th = tr.querySelector("th");
      const td = tr.querySelector("td");
      if (th === null || td === null) return [];
      const a = th.getBoundingClientRect();
      const b = td.getBoundingClientRect();
      const apart =
        a.right <= b.left + 0.5 ||
        b.right <= a.left + 0.5 ||
        a.bottom <= b.top + 0.5 ||
        b.bottom <= a.top + 0.5;
      const spills = [th, td].some(
        (cell) => cell.scrollWidth > cell.clientWidth,
      );
      return apart && !spills ? [] : [tr.textContent ?? ""];
    }),
  );
}

describe.skipIf(executablePath === undefined)("the console's finish", () => {
  beforeAll(async () => {
    demo = await startDemo(executablePath!);
  });

  afterAll(async () => {
    await demo?.stop();
  });

  afterEach(() => {
    expect(demo.pageErrors.splice(0)).toEqual([]);
  });

  test.each(WIDTHS)(
    "at %i px: review cards label fields in words, values as words, nothing overlapping",
    async (width) => {
      const page = await adminPage(width, "/reviews");
      const card = page.locator('[data-testid="case-unverified_email_match"]');
      await card.waitFor();
      const labels = await card.locator(".doc th").allTextContents();
      // The label first, the field's name after it, small.
      expect(labels).toContain("Email verifiedemail_verified");
      expect(labels).toContain(
        "Starter templates provisionedstarter_templates_provisioned_at",
      );
      const values = await card.locator(".doc td").allTextContents();
      // Grace's address is not verified: "No", not "false".
      expect(values).toContain("No");
      expect(values).not.toContain("true");
      expect(values).not.toContain("false");
      // A time reads as a time, not a count of milliseconds.
      expect(values.some((value) => /^\d{12,}$/.test(value))).toBe(false);
      // The search index's text repeats the name and address: not shown.
      expect(labels.some((label) => label.includes("search_text"))).toBe(false);
      expect(await overlaps(page, '[data-testid^="case-"] .doc tr')).toEqual(
        [],
      );
      await expectFitsAndAccessible(page, `the review queue at ${width}`);
      if (width === 375) await shoot(page, "console-reviews-phone.png");

      // A resolution's preview: its fields in words too.
      await card.locator('[data-testid="link"]').first().click();
      const preview = card.locator('[data-testid="resolution-preview"]');
      await preview.locator('[data-testid="preview-effects"]').waitFor();
      const previewLabels = await preview
        .locator("th[scope=row]")
        .allTextContents();
      expect(previewLabels.length).toBeGreaterThan(0);
      for (const label of previewLabels) expect(label).toMatch(/^[A-Z]/);
      expect(
        await overlaps(page, '[data-testid="resolution-preview"] tr'),
      ).toEqual([]);
      await expectFitsAndAccessible(page, `a preview at ${width}`);
      await preview.locator('[data-testid="resolution-cancel"]').click();

      // Empty: a kind with no open case says so, in words.
      await page.goto(`${demo.origin}/reviews?kind=sign_in_sync_failed`);
      await expect
        .poll(() => page.textContent('[data-testid="no-cases"]'))
        .toBe("No open case of this kind.");
      // A case that is not there.
      await page.goto(`${demo.origin}/reviews/no-such-case`);
      await expect
        .poll(() => page.textContent('[data-testid="case-missing"]'))
        .toContain("No case has this ID.");
      await expectFitsAndAccessible(page, `a missing case at ${width}`);
      // A run that is not there.
      await page.goto(`${demo.origin}/runs/no-such-run`);
      await expect
        .poll(() => page.textContent('[data-testid="run-missing"]'))
        .toContain("No run has this ID.");
      await page.context().close();
    },
  );

  test("sync health's errors read as words with their code, announced; older runs page in", async () => {
    const page = await adminPage(1280, "/health");
    await page.waitForSelector('[data-testid="drift-chart"]');

    // A refused start: the reason in words, the code small, role="alert".
    await page.fill('[data-testid="page-size"]', "0");
    await page.click('[data-testid="dry-run"]');
    const problem = page.locator('[data-testid="run-error"]');
    await problem.waitFor();
    expect(await problem.getAttribute("role")).toBe("alert");
    expect(await problem.textContent()).toMatch(/^PageSize must be an integer/);
    expect(
      await problem.locator('[data-testid="problem-code"]').textContent(),
    ).toBe("INVALID_ARGUMENT");
    await expectFitsAndAccessible(page, "a refused run at 1280");

    // More runs than one page of the list (5): six dry runs, each waited
    // for by its id (the latest run's "Completed" alone may be the last's).
    await page.fill('[data-testid="page-size"]', "1000");
    const latest = () =>
      page.locator('[data-testid="latest-run"]').getAttribute("data-run");
    const started = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const before = (await page.locator('[data-testid="latest-run"]').count())
        ? await latest()
        : null;
      await page.click('[data-testid="dry-run"]');
      await expect.poll(latest, { timeout: 30_000 }).not.toBe(before);
      started.add((await latest())!);
      await expect
        .poll(() => page.textContent('[data-testid="run-status"]'), {
          timeout: 30_000,
        })
        .toBe("Completed");
    }
    expect(started.size).toBe(6);
    await page.close();

    for (const width of WIDTHS) {
      const health = await adminPage(width, "/health");
      await health.waitForSelector('[data-testid="run-list"]');
      const count = () =>
        health.locator('[data-testid="run-list"] > li').count();
      await expect.poll(count, { timeout: 10_000 }).toBe(5);
      const newest = await health
        .locator('[data-testid="run-list"] [data-testid="run-name"]')
        .first()
        .getAttribute("href");
      if (width === 375) await shoot(health, "console-health-phone.png");
      await health.click('[data-testid="older-runs"]');
      // All six now; nothing older, so the button goes.
      await expect.poll(count).toBe(6);
      await expect
        .poll(() => health.locator('[data-testid="older-runs"]').count())
        .toBe(0);
      // Older runs come after, newest first still, none twice.
      const links = await health
        .locator('[data-testid="run-list"] [data-testid="run-name"]')
        .evaluateAll((as) => as.map((a) => a.getAttribute("href")));
      expect(links[0]).toBe(newest);
      expect(new Set(links).size).toBe(links.length);
      await expectFitsAndAccessible(health, `older runs at ${width}`);
      await health.context().close();
    }
  });

  test.each(WIDTHS)(
    "at %i px: the audit log says what was done, by whom and when; names small",
    async (width) => {
      if (width === 1280) {
        // An entry with changes: the orphaned row's case, dismissed.
        const page = await adminPage(1280, "/reviews?kind=reference_conflict");
        const card = page
          .locator('[data-testid="case-reference_conflict"]')
          .first();
        await card.locator('[data-testid="dismiss"]').click();
        await card
          .locator('[data-testid="resolution-note"]')
          .fill("Old test row.");
        await card.locator('[data-testid="resolution-confirm"]').click();
        await page.waitForSelector('[data-testid="no-cases"]');
        await page.context().close();
      }
      const page = await adminPage(width, "/audit");
      await page.waitForSelector('[data-testid="audit-entry"]');
      const first = page.locator('[data-testid="audit-entry"]').first();
      expect(
        await first.locator('[data-testid="audit-action"]').textContent(),
      ).toBe("Dismissed a case");
      const summary = (await first.locator("summary").textContent()) ?? "";
      expect(summary).toContain(`by ${DEMO_ADMIN}`);
      expect(summary).toContain("Old test row.");
      // The action's name stays, small, for support.
      expect(await first.locator("summary .mono").textContent()).toMatch(
        /^resolve:dismiss · users:/,
      );
      // Runs read as words too.
      const actions = await page
        .locator('[data-testid="audit-action"]')
        .allTextContents();
      expect(actions).toContain("Started a dry run");
      for (const action of actions) expect(action).not.toMatch(/:/);

      await first.locator("summary").click();
      const changes = first.locator("table tbody tr");
      await changes.first().waitFor();
      const fields = await first
        .locator('td[data-label="Field"]')
        .allTextContents();
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) expect(field).toMatch(/^[A-Z]/);
      expect(
        await first.locator('td[data-label="Record"]').first().textContent(),
      ).toMatch(/^Review case/);
      await expectFitsAndAccessible(page, `the audit log at ${width}`);
      if (width === 375) await shoot(page, "console-audit-phone.png");
      await page.context().close();
    },
  );

  test.each(WIDTHS)(
    "at %i px: the directory and a person's page, for the docs",
    async (width) => {
      const page = await adminPage(width, "/users");
      await page.waitForSelector('[data-testid="user-link"]');
      await expectFitsAndAccessible(page, `the directory at ${width}`);
      await shoot(
        page,
        width === 375 ? "console-directory-phone.png" : "console-directory.png",
      );
      await page.fill('[data-testid="user-search"]', "grace@");
      await page.click('[data-testid="user-match"] [data-testid="user-link"]');
      await page.waitForSelector('[data-testid="user-page"]');
      await expectFitsAndAccessible(page, `a person's page at ${width}`);
      if (width === 375) await shoot(page, "console-user-phone.png");
      await page.context().close();
    },
  );
});
