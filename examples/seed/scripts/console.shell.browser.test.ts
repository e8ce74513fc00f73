/**
 * The console's frame in a real browser (see browser.helpers.ts): an
 * address per view (title, back, forward, reload), sign-in that never says
 * whether an account exists, keyboard-only use, edits that send only what
 * changed and warn when the record changed underneath, and the connection
 * banner; at 1280 and 375 px, with axe-core on every view of the frame.
 *
 * Skipped, saying so, where no Chromium is installed.
 */
import type { Page, WebSocketRoute } from "playwright-core";
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
import { DEMO_ADMIN, DEMO_PASSWORD, DEMO_USER } from "./demoAccounts";

const executablePath = warnIfNoChromium("the console frame's browser test");

let demo: Demo;

const WIDTHS = [
  { name: "wide", viewport: DESKTOP },
  { name: "phone", viewport: PHONE },
] as const;

/** The text of the sign-in's announced problem, once there is one. */
async function signInProblem(page: Page, also = ""): Promise<string> {
  const alert = page.locator(`[data-testid="sign-in-error"]${also}`);
  await alert.waitFor();
  return (await alert.textContent()) ?? "";
}

async function trySignIn(page: Page, email: string, password: string) {
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('[data-testid="password-submit"]');
}

/** Presses Tab until `selector` has the focus (at most `limit` times). */
async function tabTo(page: Page, selector: string, limit = 25) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (
      await page
        .locator(selector)
        .evaluate((el) => el === document.activeElement)
    ) {
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** The arguments of each `users:updateUserProfile` the page sends. */
function profileUpdatesSent(page: Page): Record<string, unknown>[] {
  const sent: Record<string, unknown>[] = [];
  page.on("websocket", (socket) =>
    socket.on("framesent", ({ payload }) => {
      if (typeof payload !== "string") return;
      const message = JSON.parse(payload) as {
        type?: string;
        udfPath?: string;
        args?: Record<string, unknown>[];
      };
      if (
        message.type === "Mutation" &&
        message.udfPath === "users:updateUserProfile"
      ) {
        sent.push(message.args![0]!);
      }
    }),
  );
  return sent;
}

describe.skipIf(executablePath === undefined)("the console's frame", () => {
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
    "sign-in never says whether an account exists, and shows the password rule ($name)",
    async ({ name, viewport }) => {
      const page = await demo.newPage(viewport);
      await page.goto(demo.origin);
      await page.locator('input[name="email"]').waitFor();
      expect(await page.title()).toBe("Sign in · User sync console");
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);

      // A wrong password, and an address nobody has: the same words.
      await trySignIn(page, DEMO_USER, "not-the-password");
      const wrongPassword = await signInProblem(page);
      // The first answer's element is marked: the second is a new one.
      await page
        .locator('[data-testid="sign-in-error"]')
        .evaluate((el) => el.setAttribute("data-seen", ""));
      await trySignIn(page, `nobody-${name}@example.com`, "not-the-password");
      const unknownAddress = await signInProblem(page, ":not([data-seen])");
      expect(unknownAddress).toBe(wrongPassword);
      expect(wrongPassword).toContain("don't match");
      expect(wrongPassword).not.toMatch(/Invalid|CONVEX|Called by/);
      // The problem is announced, and styled as one.
      expect(
        await page.getAttribute('[data-testid="sign-in-error"]', "role"),
      ).toBe("alert");
      await shoot(page, `console-sign-in-error-${name}.png`);
      expect(await axeViolations(page)).toEqual([]);

      // Creating an account states the rule, and a short password gets it.
      await page.click('[data-testid="switch-flow"]');
      const rule = await page.textContent('[data-testid="password-rule"]');
      expect(rule).toContain("at least 8 characters");
      expect(
        await page.getAttribute('input[name="password"]', "aria-describedby"),
      ).toBe("password-rule");
      await trySignIn(page, `new-${name}@example.com`, "short");
      expect(await signInProblem(page)).toContain("at least 8 characters");
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.context().close();
    },
  );

  test.each(WIDTHS)(
    "an administrator signs in, moves between views and resolves a case with the keyboard alone ($name)",
    async ({ name, viewport }) => {
      const page = await demo.newPage(viewport);
      await page.goto(demo.origin);
      await tabTo(page, 'input[name="email"]');
      await page.keyboard.type(DEMO_ADMIN);
      await page.keyboard.press("Tab");
      await page.keyboard.type(DEMO_PASSWORD);
      await page.keyboard.press("Enter");
      await expect
        .poll(() => page.textContent('[data-testid="signed-in-as"]'), {
          timeout: 30_000,
        })
        .toContain(DEMO_ADMIN);
      // The frame at this width: nothing off-screen, nothing for axe.
      expect(
        await page.getAttribute('[data-testid="tab-profile"]', "aria-current"),
      ).toBe("page");
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await shoot(page, `console-profile-admin-${name}.png`);

      await tabTo(page, '[data-testid="tab-reviews"]');
      await page.keyboard.press("Enter");
      await expect.poll(() => page.url()).toBe(`${demo.origin}/reviews`);
      expect(await page.title()).toBe("Review queue · User sync console");
      // The view's heading takes the focus; the tab says it is current.
      expect(
        await page.evaluate(() => document.activeElement?.textContent),
      ).toBe("Review queue");
      expect(
        await page.getAttribute('[data-testid="tab-reviews"]', "aria-current"),
      ).toBe("page");
      expect(
        await page.getAttribute('[data-testid="tab-profile"]', "aria-current"),
      ).toBeNull();

      // A resolution, end to end: Dismiss, its preview, a note, Confirm.
      const cases = page.locator('[data-testid^="case-"]');
      await cases.first().waitFor();
      const open = await cases.count();
      await tabTo(page, '[data-testid="dismiss"] >> nth=0', 80);
      await page.keyboard.press("Enter");
      await tabTo(page, '[data-testid="resolution-note"]', 40);
      await page.keyboard.type(`checked by keyboard (${name})`);
      await tabTo(page, '[data-testid="resolution-confirm"]', 10);
      await page.keyboard.press("Enter");
      await expect.poll(() => cases.count()).toBe(open - 1);
      await page.context().close();
    },
  );

  test("each view has its own address: reload, back, forward and the title follow it", async () => {
    const page = await demo.newPage(DESKTOP);
    // Signing in keeps the address asked for.
    await signIn(page, demo.origin, DEMO_ADMIN, "/audit");
    await expect
      .poll(() => page.textContent('[data-testid="view-heading"]'))
      .toBe("Audit log");
    expect(await page.title()).toBe("Audit log · User sync console");

    const heading = () => page.textContent('[data-testid="view-heading"]');
    await page.click('[data-testid="tab-users"]');
    await expect.poll(heading).toBe("Users");
    expect(page.url()).toBe(`${demo.origin}/users`);
    expect(await page.title()).toBe("Users · User sync console");
    await page.click('[data-testid="tab-health"]');
    await expect.poll(heading).toBe("Sync health");

    await page.goBack();
    await expect.poll(heading).toBe("Users");
    expect(await page.title()).toBe("Users · User sync console");
    await page.goBack();
    await expect.poll(heading).toBe("Audit log");
    await page.goForward();
    await expect.poll(heading).toBe("Users");
    expect(page.url()).toBe(`${demo.origin}/users`);

    await page.reload();
    await expect.poll(heading, { timeout: 30_000 }).toBe("Users");
    expect(
      await page.getAttribute('[data-testid="tab-users"]', "aria-current"),
    ).toBe("page");

    // A user's, a case's and a run's address; and one that names nothing.
    await page.goto(`${demo.origin}/users/some-id`);
    await expect.poll(heading, { timeout: 30_000 }).toBe("User");
    expect(
      await page.getAttribute('[data-testid="tab-users"]', "aria-current"),
    ).toBe("true");
    await page.goto(`${demo.origin}/runs/some-run`);
    await expect.poll(heading, { timeout: 30_000 }).toBe("Sync run");
    await page.goto(`${demo.origin}/nothing/here`);
    await expect.poll(heading, { timeout: 30_000 }).toBe("Page not found");
    expect(await page.title()).toBe("Page not found · User sync console");
    await page.context().close();
  });

  test.each(WIDTHS)(
    "a user who is no administrator reaching an admin address reads that it is not available ($name)",
    async ({ name, viewport }) => {
      const page = await demo.newPage(viewport);
      await signIn(page, demo.origin, DEMO_USER, "/reviews");
      await page.locator('[data-testid="not-available"]').waitFor();
      expect(await page.title()).toBe("Not available · User sync console");
      expect(await page.locator('[data-testid="tab-reviews"]').count()).toBe(0);
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await page.click('[data-testid="not-available"] a');
      await page.locator('[data-testid="profile"]').waitFor();
      expect(page.url()).toBe(`${demo.origin}/`);
      expect(await overflowX(page)).toBeLessThanOrEqual(0);
      expect(await axeViolations(page)).toEqual([]);
      await shoot(page, `console-profile-${name}.png`);
      await page.context().close();
    },
  );

  test("an edit sends only the changed field, and another page of the same person is warned", async () => {
    const wide = await demo.newPage(DESKTOP);
    const phone = await demo.newPage(PHONE);
    const sentByWide = profileUpdatesSent(wide);
    const sentByPhone = profileUpdatesSent(phone);
    await signIn(wide, demo.origin, DEMO_USER);
    await signIn(phone, demo.origin, DEMO_USER);
    const company = await phone.inputValue('input[name="company"]');

    // The wide page renames; only the name goes.
    await wide.fill('input[name="name"]', "Ada, Countess of Lovelace");
    await wide.click('[data-testid="profile-save"]');
    await wide.locator('[data-testid="profile-message"]').waitFor();
    expect(sentByWide).toEqual([{ name: "Ada, Countess of Lovelace" }]);

    // The phone's form started from the old name: it says so, and Save
    // waits for the person's choice.
    const warning = phone.locator('[data-testid="changed-name"]');
    await warning.waitFor();
    expect(await warning.textContent()).toContain("Ada, Countess of Lovelace");
    expect(await phone.isDisabled('[data-testid="profile-save"]')).toBe(true);
    expect(await overflowX(phone)).toBeLessThanOrEqual(0);
    expect(await axeViolations(phone)).toEqual([]);
    await shoot(phone, "console-profile-changed-underneath-phone.png");
    await warning.locator('[data-testid="take-new"]').click();
    expect(await phone.inputValue('input[name="name"]')).toBe(
      "Ada, Countess of Lovelace",
    );

    // The phone changes the company alone: the new name stays.
    await phone.fill('input[name="company"]', "Analytical Society");
    await phone.click('[data-testid="profile-save"]');
    await phone.locator('[data-testid="profile-message"]').waitFor();
    expect(sentByPhone).toEqual([{ company: "Analytical Society" }]);
    await expect
      .poll(() => wide.textContent('[data-testid="profile-company"]'))
      .toBe("Analytical Society");
    expect(await wide.textContent('[data-testid="profile-name"]')).toBe(
      "Ada, Countess of Lovelace",
    );

    // The wide page keeps its own company instead: that is a change, sent.
    const companyWarning = wide.locator('[data-testid="changed-company"]');
    await companyWarning.waitFor();
    await companyWarning.locator('[data-testid="keep-mine"]').click();
    await wide.click('[data-testid="profile-save"]');
    await expect.poll(() => sentByWide.length).toBe(2);
    expect(sentByWide[1]).toEqual({ company });
    await expect
      .poll(() => phone.textContent('[data-testid="profile-company"]'))
      .toBe(company === "" ? "—" : company);

    // Saving with nothing changed sends nothing.
    await phone
      .locator('[data-testid="changed-company"] [data-testid="take-new"]')
      .click();
    await phone.click('[data-testid="profile-save"]');
    expect(
      await phone.textContent('[data-testid="profile-message"]'),
    ).toContain("nothing was sent");
    expect(sentByPhone).toHaveLength(1);

    // A refused edit is announced as a problem, in words, with its code.
    await phone.fill('input[name="name"]', "   ");
    await phone.click('[data-testid="profile-save"]');
    const problem = phone.locator('[data-testid="profile-problem"]');
    await problem.waitFor();
    expect(await problem.getAttribute("role")).toBe("alert");
    expect(await problem.textContent()).toContain("Name is empty.");
    expect(
      await problem.locator('[data-testid="problem-code"]').textContent(),
    ).toBe("INVALID_ARGUMENT");
    expect(await phone.locator('[data-testid="profile-message"]').count()).toBe(
      0,
    );
    expect(await axeViolations(phone)).toEqual([]);
    await wide.context().close();
    await phone.context().close();
  });

  test("the connection banner says when the server is gone, and when it is back", async () => {
    const page = await demo.newPage(PHONE);
    // The page's websockets, passed through until `offline` drops them.
    let offline = false;
    const open: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/api\/.*\/sync/, (socket) => {
      if (offline) {
        void socket.close();
        return;
      }
      socket.connectToServer();
      open.push(socket);
    });
    await signIn(page, demo.origin, DEMO_USER);
    const banner = page.locator('[data-testid="connection-banner"]');

    offline = true;
    for (const socket of open.splice(0)) await socket.close();
    await expect
      .poll(() => banner.getAttribute("data-state"), { timeout: 15_000 })
      .toBe("offline");
    expect(await banner.getAttribute("role")).toBe("alert");
    expect(await banner.textContent()).toContain("Offline");
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await shoot(page, "console-offline-phone.png");

    offline = false;
    await expect
      .poll(() => banner.getAttribute("data-state"), { timeout: 30_000 })
      .toBe("reconnected");
    expect(await banner.getAttribute("role")).toBe("status");
    // Live again: the profile still answers.
    await page.locator('[data-testid="profile"]').waitFor();
    await page.context().close();
  });

  test("a backend never reached is said so, after a few seconds of waiting", async () => {
    const page = await demo.newPage(DESKTOP);
    await page.routeWebSocket(/\/api\/.*\/sync/, (socket) => {
      void socket.close();
    });
    await page.goto(demo.origin);
    const banner = page.locator('[data-testid="connection-banner"]');
    await expect
      .poll(() => banner.getAttribute("data-state"))
      .toBe("connecting");
    await expect
      .poll(() => banner.getAttribute("data-state"), { timeout: 15_000 })
      .toBe("unreachable");
    expect(await banner.textContent()).toContain("can't be reached");
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });
});
