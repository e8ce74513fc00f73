/**
 * The console's sync health and review queue in a real browser, offline
 * (`npm run demo:web`, see browser.helpers.ts), at 1280 and 375 px:
 * each drift kind explained in words and linked to its open cases; every
 * run listed with its name, counts and duration; a progress bar that moves
 * through intermediate values (the demo paces pages, PAGE_DELAY_MS); a
 * destructive resolution's preview, cancelled (nothing written) and then
 * confirmed with a note, and the note in the audit log; no horizontal
 * overflow; axe-core with zero violations on each view. Screenshots go to
 * SCREENSHOTS_DIR (default examples/seed/.screenshots).
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  axeViolations,
  type Demo,
  overflowX,
  shoot as shootViewport,
  signIn,
  startDemo,
  warnIfNoChromium,
} from "./browser.helpers";
import { DEMO_ADMIN } from "./demoAccounts";

const executablePath = warnIfNoChromium("the console's health browser test");

/** The widths every check runs at: a laptop and a phone. */
const WIDTHS = [1280, 375] as const;

let demo: Demo;

/** This file's screenshots show the whole page. */
async function shoot(page: Page, name: string): Promise<void> {
  await shootViewport(page, name, { fullPage: true });
}

/** No horizontal scrolling: the page fits the viewport's width. */
async function expectNoOverflow(page: Page, width: number): Promise<void> {
  expect(
    await overflowX(page),
    `page width at ${width} px`,
  ).toBeLessThanOrEqual(0);
}

/** axe-core over the page as it is: zero violations. */
async function expectAccessible(page: Page, view: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${view}`).toEqual([]);
}

describe.skipIf(executablePath === undefined)(
  "the console's sync health and review queue",
  () => {
    beforeAll(async () => {
      // Paced pages, so that a run's progress bar has values to show.
      demo = await startDemo(executablePath!, { PAGE_DELAY_MS: "300" });
    });

    afterAll(async () => {
      await demo?.stop();
    });

    afterEach(() => {
      expect(demo.pageErrors.splice(0)).toEqual([]);
    });

    async function adminPage(width: number): Promise<Page> {
      const page = await demo.newPage({ width, height: 800 });
      await signIn(page, demo.origin, DEMO_ADMIN);
      return page;
    }

    test.each(WIDTHS)(
      "at %i px, each drift kind is explained in words and linked to its open cases",
      async (width) => {
        const page = await adminPage(width);
        await page.click('[data-testid="tab-health"]');
        await page.waitForSelector('[data-testid="drift-chart"] li');
        // Legacy rows waiting for their owners: in words, with what to do.
        const pending = page.locator('[data-testid="drift-pending_link"]');
        await expect
          .poll(() => pending.textContent())
          .toContain("Waiting for a first sign-in");
        expect(await pending.textContent()).toContain("What to do:");
        // A kind a person decides links to its cases in the queue.
        const links = page.locator('[data-testid^="drift-cases-"]');
        expect(await links.count()).toBeGreaterThan(0);
        const href = (await links.first().getAttribute("href"))!;
        expect(href).toMatch(/^\/reviews\?kind=[a-z_]+$/);
        // Small counts stay visible beside large ones (log scale).
        const widths = await page
          .locator('[data-testid="drift-chart"] .bar')
          .evaluateAll((bars) =>
            bars.map((bar) => bar.getBoundingClientRect().width),
          );
        expect(Math.min(...widths)).toBeGreaterThanOrEqual(4);
        await expectNoOverflow(page, width);
        await expectAccessible(page, `health at ${width}`);
        await shoot(page, `console-health-drift-${width}.png`);

        const kind = href.split("=")[1]!;
        await links.first().click();
        await page.waitForSelector('[data-testid="queue-filter"]');
        await expect.poll(() => page.url()).toBe(`${demo.origin}${href}`);
        const cards = page.locator("section.case");
        await cards.first().waitFor();
        const kinds = await cards.evaluateAll((sections) =>
          sections.map((section) => section.getAttribute("data-testid")),
        );
        expect(new Set(kinds)).toEqual(new Set([`case-${kind}`]));
        await expectNoOverflow(page, width);
        await expectAccessible(page, `reviews of one kind at ${width}`);
        await page.context().close();
      },
    );

    test.each(WIDTHS)(
      "at %i px, a run's progress bar moves through intermediate values, and the run list names each run",
      async (width) => {
        const page = await adminPage(width);
        await page.click('[data-testid="tab-health"]');
        await page.waitForSelector('[data-testid="drift-chart"] li');
        await page.fill('[data-testid="page-size"]', "10");
        // Every value the latest run's progress bar shows.
        await page.evaluate(() => {
          const seen: string[] = [];
          (window as unknown as { seen: string[] }).seen = seen;
          setInterval(() => {
            const bar = document.querySelector(
              '[data-testid="latest-run"] [role="progressbar"]',
            );
            const status = document.querySelector(
              '[data-testid="run-status"]',
            )?.textContent;
            const value = `${status}:${bar?.getAttribute("aria-valuenow")}`;
            if (bar && seen.at(-1) !== value) seen.push(value);
          }, 20);
        });
        // A real run at 1280 px, a dry run at 375 px.
        const name = `${width === 1280 ? "sync all" : "dry run of sync all"} (console, by ${DEMO_ADMIN})`;
        const latestName = page.locator(
          '[data-testid="latest-run"] [data-testid="run-name"]',
        );
        const before =
          (await latestName.count()) === 0
            ? null
            : await latestName.getAttribute("href");
        await page.click(
          width === 1280 ? '[data-testid="run"]' : '[data-testid="dry-run"]',
        );
        // The new run at the top of the list: until it is there, the latest
        // shown is an earlier test's, completed already.
        await expect
          .poll(async () => await latestName.getAttribute("href"), {
            timeout: 30_000,
          })
          .not.toBe(before);
        expect(await latestName.textContent()).toBe(name);
        await expect
          .poll(() => page.textContent('[data-testid="run-status"]'), {
            timeout: 90_000,
          })
          .toBe("Completed");
        const seen = await page.evaluate(
          () => (window as unknown as { seen: string[] }).seen,
        );
        const intermediate = new Set(
          seen
            .filter((state) => state.startsWith("Running:"))
            .map((state) => Number(state.split(":")[1]))
            .filter((value) => value > 0 && value < 100),
        );
        expect(
          intermediate.size,
          `progress values seen: ${seen.join(" ")}`,
        ).toBeGreaterThanOrEqual(3);
        const bar = page.locator(
          '[data-testid="latest-run"] [role="progressbar"]',
        );
        expect(await bar.getAttribute("aria-valuenow")).toBe("100");
        expect(await bar.getAttribute("aria-valuemin")).toBe("0");
        expect(await bar.getAttribute("aria-valuemax")).toBe("100");

        // The latest run: its name says what it did and who started it,
        // with its counts, duration and costliest page.
        const latest = page.locator('[data-testid="latest-run"]');
        expect(
          await latest.locator('[data-testid="run-name"]').textContent(),
        ).toBe(name);
        const text = (await latest.textContent())!;
        expect(text).toMatch(/took \d+(\.\d)? s/);
        expect(text).toMatch(/\d+ rows checked/);
        expect(text).toMatch(/costliest page: \d+ reads/);
        expect(text).toMatch(/linked \d+ · created \d+/);
        await expectNoOverflow(page, width);
        await expectAccessible(page, `health with runs at ${width}`);
        await shoot(page, `console-health-runs-${width}.png`);

        // Its own page, by its link.
        const runId = (await latest.getAttribute("data-run"))!;
        await latest.locator('[data-testid="run-name"]').click();
        await expect
          .poll(() => page.url())
          .toBe(`${demo.origin}/runs/${runId}`);
        await page.waitForSelector(`[data-run="${runId}"]`);
        expect(await page.locator('[data-testid="run-list"]').count()).toBe(0);
        await expectAccessible(page, `a run's page at ${width}`);
        await page.context().close();
      },
    );

    test("the run list pages every run, newest first", async () => {
      const page = await adminPage(1280);
      await page.click('[data-testid="tab-health"]');
      // The two runs of the test above, newest first.
      await page.waitForSelector('[data-testid="run-list"]');
      const names = await page
        .locator('[data-testid="run-list"] [data-testid="run-name"]')
        .allTextContents();
      expect(names.slice(0, 2)).toEqual([
        `dry run of sync all (console, by ${DEMO_ADMIN})`,
        `sync all (console, by ${DEMO_ADMIN})`,
      ]);
      await page.context().close();
    });

    /** Resolves nothing: the preview, then Cancel; the case is as it was. */
    async function cancelPreview(page: Page, card: string, button: string) {
      const section = page.locator(card).first();
      const review = (await section.getAttribute("data-review"))!;
      const version = await section.locator("p.mono").last().textContent();
      await section.locator(`[data-testid="${button}"]`).first().click();
      const preview = section.locator('[data-testid="resolution-preview"]');
      await preview.locator('[data-testid="preview-effects"]').waitFor();
      const effects = (await preview.textContent())!;
      await page.locator('[data-testid="resolution-cancel"]').click();
      await preview.waitFor({ state: "detached" });
      // Still open, unchanged.
      const same = page.locator(`[data-review="${review}"]`);
      expect(await same.locator("p.mono").last().textContent()).toBe(version);
      return { review, effects };
    }

    test.each(WIDTHS)(
      "at %i px, a destructive resolution shows its preview; cancel writes nothing; confirm with a note resolves it",
      async (width) => {
        const page = await adminPage(width);
        await page.click('[data-testid="tab-audit"]');
        await page.waitForSelector('[data-testid="audit-entry"]');
        const entriesBefore = await page
          .locator('[data-testid="audit-entry"]')
          .allTextContents();
        await page.click('[data-testid="tab-reviews"]');
        // 1280: Linus's imported copy, retired. 375: Grace's own row,
        // retired to link her legacy row (with its starter templates).
        const card =
          width === 1280
            ? '[data-testid="case-duplicate_counterpart"]'
            : '[data-testid="case-unverified_email_match"]';
        const button = width === 1280 ? "retire" : "link";
        await page.locator(card).first().waitFor();
        // Plain words first: no 32-character id as a card's heading.
        const heading = await page.locator(`${card} h2`).first().textContent();
        expect(heading).not.toMatch(/[a-z0-9]{32}/);
        const { review, effects } = await cancelPreview(page, card, button);
        expect(effects).toContain("Deletes");
        if (width === 375) expect(effects).toContain("starter templates");
        // Cancel wrote nothing: the audit log is as it was.
        await page.click('[data-testid="tab-audit"]');
        await page.waitForSelector('[data-testid="audit-entry"]');
        expect(
          await page.locator('[data-testid="audit-entry"]').allTextContents(),
        ).toEqual(entriesBefore);

        await page.click('[data-testid="tab-reviews"]');
        const section = page.locator(`[data-review="${review}"]`);
        await section.locator(`[data-testid="${button}"]`).first().click();
        await section.locator('[data-testid="preview-effects"]').waitFor();
        // A row is deleted: the console says the note will not be kept.
        expect(
          await section
            .locator('[data-testid="resolution-preview"]')
            .textContent(),
        ).toContain("will not keep the note");
        await section
          .locator('[data-testid="resolution-note"]')
          .fill("Imported twice in 2024");
        await expectNoOverflow(page, width);
        await expectAccessible(page, `a resolution's preview at ${width}`);
        await shoot(page, `console-resolution-preview-${width}.png`);
        await section.locator('[data-testid="resolution-confirm"]').click();
        await section.waitFor({ state: "detached" });

        // A resolution that deletes nothing keeps its note: one of Ken's
        // two rows kept apart (1280), the old orphan dismissed (375).
        const [other, otherButton, note] =
          width === 1280
            ? ["case-ambiguous_email", "keep-separate", "Not the same Ken"]
            : ["case-reference_conflict", "dismiss", "Old test account"];
        await page.locator(`[data-testid="${other}"]`).first().waitFor();
        const otherReview = await page
          .locator(`[data-testid="${other}"]`)
          .first()
          .getAttribute("data-review");
        const otherCard = page.locator(`[data-review="${otherReview}"]`);
        await otherCard
          .locator(`[data-testid="${otherButton}"]`)
          .first()
          .click();
        await otherCard.locator('[data-testid="resolution-note"]').fill(note);
        await otherCard.locator('[data-testid="resolution-confirm"]').click();
        await otherCard.waitFor({ state: "detached" });
        await expectNoOverflow(page, width);
        await expectAccessible(page, `reviews at ${width}`);
        await shoot(page, `console-reviews-${width}.png`);

        await page.click('[data-testid="tab-audit"]');
        await expect
          .poll(() =>
            page.locator('[data-testid="audit-summary"]').first().textContent(),
          )
          .toContain(`: ${note}`);
        const summaries = await page
          .locator('[data-testid="audit-summary"]')
          .allTextContents();
        expect(
          summaries.some((summary) => /^(Retired|Linked)/.test(summary)),
        ).toBe(true);
        await page
          .locator('[data-testid="audit-entry"] summary')
          .first()
          .click();
        await expectNoOverflow(page, width);
        await expectAccessible(page, `audit log at ${width}`);
        await shoot(page, `console-audit-${width}.png`);
        await page.context().close();
      },
    );
  },
);
