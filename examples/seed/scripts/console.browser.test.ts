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
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_USER } from "./demoAccounts";

const seedDir = join(import.meta.dirname, "..");

/** Debian's Chromium, or the one CHROMIUM_PATH names. */
function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ];
  return candidates.find(
    (path): path is string => path !== undefined && existsSync(path),
  );
}

const executablePath = findChromium();
if (executablePath === undefined) {
  console.warn(
    "SKIPPED the web console's browser test: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH).",
  );
}

const screenshots = resolve(
  process.env.SCREENSHOTS_DIR ?? join(seedDir, ".screenshots"),
);

let demo: ChildProcess;
let origin: string;
let browser: Browser;
/** Uncaught errors in the console's pages: there must be none. */
const pageErrors: string[] = [];

/** Starts `npm run demo:web`'s script on a free port; resolves with its address. */
function startDemo(): Promise<string> {
  // Node itself (tsx as its loader), so that killing it ends the server.
  demo = spawn(process.execPath, ["--import", "tsx", "scripts/webDemo.ts"], {
    cwd: seedDir,
    env: { ...process.env, PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePromise, reject) => {
    let output = "";
    demo.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Console: (http:\/\/\S+?)\/?\s/.exec(output);
      if (match) resolvePromise(match[1]!);
    });
    demo.on("exit", (code) =>
      reject(new Error(`demo:web exited (${code}): ${output}`)),
    );
  });
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(origin);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', DEMO_PASSWORD);
  await page.click('[data-testid="password-submit"]');
  await expect
    .poll(() => page.textContent('[data-testid="signed-in-as"]'), {
      timeout: 30_000,
    })
    .toContain(email);
}

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, name) });
}

describe.skipIf(executablePath === undefined)("the web console", () => {
  beforeAll(async () => {
    origin = await startDemo();
    browser = await chromium.launch({
      executablePath,
      // Root in a container has no user namespaces for Chromium's sandbox.
      args: ["--no-sandbox"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    demo?.kill("SIGTERM");
  });

  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1200, height: 760 },
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    return page;
  }

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

    // Grace's pair, as user search shows it.
    await page.click('[data-testid="tab-users"]');
    await page.fill('[data-testid="user-search"]', "grace@");
    await page.waitForSelector('[data-testid="user-match"]');
    const match = await page.textContent('[data-testid="user-match"]');
    // The legacy row's name, kept as chosen when it was linked.
    expect(match).toContain("paired");
    expect(match).toContain("Grace Hopper");
    expect(match).toContain("user's choice");
    await shoot(page, "console-users.png");
    await page.context().close();
  });
});
