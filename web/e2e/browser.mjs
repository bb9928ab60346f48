// Debian's Chromium, driven by playwright-core (`npx playwright install` can't download
// here), on a closed network: every request to a host other than the server under test
// is aborted and recorded, so a page that needs the internet fails visibly.
import { mkdirSync } from "node:fs";
import path from "node:path";

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Without these, Chromium tries Google's services at start and hangs or fails offline.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function settings() {
  const baseUrl = process.env.BASE_URL;
  if (!baseUrl) throw new Error("set BASE_URL to the server under test, e.g. http://127.0.0.1:8000");
  const artifacts = path.resolve(process.env.ARTIFACTS_DIR ?? "test-artifacts");
  mkdirSync(artifacts, { recursive: true });
  return { baseUrl: baseUrl.replace(/\/$/, ""), artifacts };
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** A context whose requests may reach only `baseUrl`'s host; `blocked` collects the rest. */
export async function offlineContext(browser, baseUrl, blocked) {
  const allowed = new URL(baseUrl).host;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(10_000);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.host === allowed) return route.continue();
    blocked.push(route.request().url());
    return route.abort("internetdisconnected");
  });
  return context;
}

/** Console errors and uncaught exceptions of a page, for the report. */
export function collectErrors(page, errors, label) {
  page.on("pageerror", (error) => errors.push(`${label}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${label} console: ${message.text()}`);
  });
}

/**
 * Runs `scenario` with a deadline; prints one JSON line (the result, or the error) and
 * sets the exit code, so a Python test can run this script and assert on what it says.
 */
export async function main(name, scenario, deadlineMs = 90_000) {
  const timer = setTimeout(() => {
    console.log(JSON.stringify({ ok: false, scenario: name, error: `timed out after ${deadlineMs} ms` }));
    process.exit(3);
  }, deadlineMs);
  let browser;
  const report = { ok: false, scenario: name, screenshots: [], blocked: [], errors: [] };
  try {
    browser = await launch();
    Object.assign(report, await scenario(browser, report));
    report.ok = true;
  } catch (error) {
    report.error = String(error?.stack ?? error);
  } finally {
    await browser?.close().catch(() => {});
    clearTimeout(timer);
  }
  console.log(JSON.stringify(report));
  process.exitCode = report.ok ? 0 : 1;
}
