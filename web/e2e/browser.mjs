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

/**
 * A context whose requests may reach only `baseUrl`'s host: `report.blocked` collects the
 * rest. Its pages' Content-Security-Policy violations go to `report.cspViolations` (the
 * `securitypolicyviolation` events, from a script that runs before the page's own), and
 * each document's policy to `report.documentPolicies`, so a test sees the policy was
 * there and that nothing the page needs broke it.
 */
export async function offlineContext(browser, baseUrl, report) {
  const allowed = new URL(baseUrl).host;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(10_000);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.host === allowed) return route.continue();
    report.blocked.push(route.request().url());
    return route.abort("internetdisconnected");
  });
  await context.exposeBinding("__reportCspViolation", ({ page }, violation) => {
    report.cspViolations.push({ page: page?.url(), ...violation });
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__reportCspViolation({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: `${event.sourceFile}:${event.lineNumber}`,
        sample: event.sample,
        disposition: event.disposition,
      });
    });
  });
  context.on("response", (response) => {
    if (response.request().resourceType() === "document") {
      const policy = response.headers()["content-security-policy"] ?? null;
      report.documentPolicies.push({ url: response.url(), policy });
    }
  });
  return context;
}

/**
 * Proof that the page's policy is in force: a script and a <style> the page did not
 * bring (added through the DOM, as an injection would) are refused. Their violations,
 * and the console's two lines about them, are taken out of `report.cspViolations` and
 * `report.errors`, which keep only unexpected ones.
 */
export async function probeForeignCode(page, report) {
  const before = report.cspViolations.length;
  const errorsBefore = report.errors.length;
  const refusedLines = () =>
    report.errors.slice(errorsBefore).filter((line) => line.includes("Content Security Policy"));
  const ran = await page.evaluate(async () => {
    window.__probeRan = false;
    const script = document.createElement("script");
    script.textContent = "window.__probeRan = true";
    document.body.append(script);
    const holder = document.createElement("div");
    holder.innerHTML = "<style>body { outline: 3px solid rgb(255, 0, 0) }</style>";
    document.body.append(holder);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const styled = getComputedStyle(document.body).outlineStyle === "solid";
    script.remove();
    holder.remove();
    return { script: window.__probeRan, style: styled };
  });
  const deadline = Date.now() + 5_000;
  while (
    (report.cspViolations.length < before + 2 || refusedLines().length < 2) &&
    Date.now() < deadline
  ) {
    await page.waitForTimeout(50);
  }
  const refused = report.cspViolations.splice(before).map((v) => v.directive);
  const probeLines = refusedLines();
  const others = report.errors.splice(errorsBefore).filter((l) => !probeLines.includes(l));
  report.errors.push(...others);
  return { ran, refused: refused.sort() };
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
  const report = {
    ok: false,
    scenario: name,
    screenshots: [],
    blocked: [],
    errors: [],
    cspViolations: [],
    documentPolicies: [],
  };
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
