/**
 * What every browser test of the web console shares: Debian's Chromium
 * (playwright-core, no browser download), `npm run demo:web`'s script on a
 * free port, a password sign-in, screenshots, axe-core, and the page-width
 * check. Each test file starts its own demo (its own seeded world).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import { DEMO_PASSWORD } from "./demoAccounts";

export const seedDir = join(import.meta.dirname, "..");

/** Debian's Chromium, or the one CHROMIUM_PATH names. */
export function findChromium(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
  ];
  return candidates.find(
    (path): path is string => path !== undefined && existsSync(path),
  );
}

/** Says, once per file, that a browser test is skipped and why. */
export function warnIfNoChromium(what: string): string | undefined {
  const path = findChromium();
  if (path === undefined) {
    console.warn(
      `SKIPPED ${what}: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH).`,
    );
  }
  return path;
}

export const screenshots = resolve(
  process.env.SCREENSHOTS_DIR ?? join(seedDir, ".screenshots"),
);

/** The demo's server and the browser driving it. */
export type Demo = {
  origin: string;
  browser: Browser;
  /** Uncaught errors in the console's pages: there must be none. */
  pageErrors: string[];
  /** A page in a fresh context (its own sign-in), 1280 px wide by default. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  stop(): Promise<void>;
};

/**
 * Starts `npm run demo:web`'s script on a free port, and Chromium. `env`
 * adds to the script's environment (e.g. PAGE_DELAY_MS, to pace a run).
 */
export async function startDemo(
  executablePath: string,
  env: Record<string, string> = {},
): Promise<Demo> {
  // Node itself (tsx as its loader), so that killing it ends the server.
  const server: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/webDemo.ts"],
    {
      cwd: seedDir,
      env: { ...process.env, ...env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const origin = await new Promise<string>((resolvePromise, reject) => {
    let output = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Console: (http:\/\/\S+?)\/?\s/.exec(output);
      if (match) resolvePromise(match[1]!);
    });
    server.on("exit", (code) =>
      reject(new Error(`demo:web exited (${code}): ${output}`)),
    );
  });
  const browser = await chromium.launch({
    executablePath,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: ["--no-sandbox"],
  });
  const pageErrors: string[] = [];
  return {
    origin,
    browser,
    pageErrors,
    async newPage(viewport = DESKTOP) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on("pageerror", (error) => pageErrors.push(error.message));
      return page;
    },
    async stop() {
      await browser.close();
      server.kill("SIGTERM");
    },
  };
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };

/** Signs in with the demo's password on `page`, at `path` (default `/`). */
export async function signIn(
  page: Page,
  origin: string,
  email: string,
  path = "/",
): Promise<void> {
  await page.goto(origin + path);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', DEMO_PASSWORD);
  await page.click('[data-testid="password-submit"]');
  await expect
    .poll(() => page.textContent('[data-testid="signed-in-as"]'), {
      timeout: 30_000,
    })
    .toContain(email);
}

/** A screenshot named `name` in `screenshots`: the viewport, or the whole page. */
export async function shoot(
  page: Page,
  name: string,
  { fullPage = false }: { fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, name), fullPage });
}

const axeSource = (
  createRequire(import.meta.url)("axe-core") as { source: string }
).source;

/** axe-core's violations on the page as it is: ids and their targets. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Once per document: the console moves between views without reloading.
  if (!(await page.evaluate(() => "axe" in window))) {
    await page.addScriptTag({ content: axeSource });
  }
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(): Promise<{
            violations: { id: string; nodes: { target: unknown }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map(
      (violation) =>
        `${violation.id}: ${violation.nodes
          .map((node) => JSON.stringify(node.target))
          .join(", ")}`,
    );
  });
  return violations;
}

/** How much wider than the window the document is (0: nothing sticks out). */
export async function overflowX(page: Page): Promise<number> {
  return await page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  );
}
