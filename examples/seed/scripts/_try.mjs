import { chromium } from "playwright-core";
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
await page.goto("http://127.0.0.1:5199/");
await page.fill('input[name="email"]', "admin@example.com");
await page.fill('input[name="password"]', "console-demo-1");
await page.click('[data-testid="password-submit"]');
await page.waitForSelector('[data-testid="signed-in-as"]', { timeout: 20000 });
console.log(await page.textContent('[data-testid="signed-in-as"]'));
await page.screenshot({ path: "/tmp/pw/profile.png" });
await page.click('[data-testid="tab-health"]');
await page.waitForSelector('[data-testid="drift-chart"]', { timeout: 20000 });
await page.screenshot({ path: "/tmp/pw/health.png" });
await page.click('[data-testid="tab-reviews"]');
await page.waitForSelector('[data-testid^="case-"]', { timeout: 20000 });
await page.screenshot({ path: "/tmp/pw/reviews.png", fullPage: true });
await browser.close();
