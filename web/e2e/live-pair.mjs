// Two people in one pair, each in their own browser context on the example app (/app/).
// The mentor completes a milestone and posts a check-in; the mentee's open page must
// show both through the subscription, with no reload.
//
//   BASE_URL=http://127.0.0.1:8000 node e2e/live-pair.mjs   (make run's demo data)
// Env: MENTOR_EMAIL, MENTEE_EMAIL, PASSWORD (the demo's by default), LIVE_TIMEOUT_MS
// (how long the mentee's page may take to show an update, 5000), ARTIFACTS_DIR.
import path from "node:path";

import { collectErrors, main, offlineContext, settings } from "./browser.mjs";

const MENTOR = process.env.MENTOR_EMAIL ?? "mentor@example.com";
const MENTEE = process.env.MENTEE_EMAIL ?? "mentee@example.com";
const PASSWORD = process.env.PASSWORD ?? "mentorship-demo";
const LIVE_TIMEOUT = Number(process.env.LIVE_TIMEOUT_MS ?? 5000);

async function openPair(context, baseUrl, email, errors) {
  const page = await context.newPage();
  collectErrors(page, errors, email);
  await page.goto(`${baseUrl}/app/`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  // The pair of these two people: the first active one in the list.
  const pair = page.getByTestId("pair").filter({ hasText: "ACTIVE" }).first();
  await pair.getByRole("link").click();
  await page.getByTestId("pair-view").waitFor();
  await page.getByTestId("live-status").filter({ hasText: "live" }).waitFor();
  await page.getByTestId("milestone").first().waitFor();
  return page;
}

/** Resolves with the ms it took for `locator` to appear (no more than LIVE_TIMEOUT). */
async function appears(locator, since) {
  await locator.waitFor({ timeout: LIVE_TIMEOUT });
  return Date.now() - since;
}

main("live-pair", async (browser, report) => {
  const { baseUrl, artifacts } = settings();
  const mentorContext = await offlineContext(browser, baseUrl, report);
  const menteeContext = await offlineContext(browser, baseUrl, report);
  const mentor = await openPair(mentorContext, baseUrl, MENTOR, report.errors);
  const mentee = await openPair(menteeContext, baseUrl, MENTEE, report.errors);

  const pairId = await mentee.getByTestId("pair-view").getAttribute("data-pair-id");
  const mentorPairId = await mentor.getByTestId("pair-view").getAttribute("data-pair-id");
  if (pairId !== mentorPairId) throw new Error(`not the same pair: ${mentorPairId} vs ${pairId}`);

  // Any reload or new document on the mentee's page from here on would be seen.
  const menteeUrl = mentee.url();
  let documentLoads = 0;
  mentee.on("load", () => documentLoads++);
  await mentee.evaluate(() => {
    window.__openedAt = "before the mentor acted";
  });
  const completedBefore = Number(
    await mentee.getByTestId("progress").getAttribute("data-completed"),
  );
  const checkInsBefore = await mentee.getByTestId("check-in").count();

  // Every mutation the app sends carries a fresh Idempotency-Key (src/client.ts).
  const mutationKeys = [];
  mentor.on("request", (request) => {
    if (request.method() !== "POST" || !request.url().endsWith("/graphql")) return;
    const { query } = JSON.parse(request.postData() ?? "{}");
    if (query?.trimStart().startsWith("mutation")) {
      mutationKeys.push(request.headers()["idempotency-key"] ?? null);
    }
  });

  // The mentor marks the first open milestone done...
  const todo = mentor.locator('[data-testid="milestone"][data-state="todo"]').first();
  const milestoneId = await todo.getAttribute("data-milestone-id");
  const milestoneTitle = (await todo.locator("strong").first().textContent())?.trim();
  const t0 = Date.now();
  await todo.getByRole("button", { name: "Mark complete" }).click();
  const milestoneMs = await appears(
    mentee.locator(`[data-milestone-id="${milestoneId}"][data-state="done"]`),
    t0,
  );

  // ...and posts a check-in.
  const body = `Week check-in from the browser test ${Date.now().toString(36)}: goals drafted.`;
  await mentor.getByLabel("Your check-in").fill(body);
  const t1 = Date.now();
  await mentor.getByRole("button", { name: "Post check-in" }).click();
  const checkInMs = await appears(mentee.getByTestId("check-in").filter({ hasText: body }), t1);
  await mentee
    .getByTestId("progress")
    .and(mentee.locator(`[data-completed="${completedBefore + 1}"]`))
    .waitFor({ timeout: LIVE_TIMEOUT });

  const stillOpen = await mentee.evaluate(() => window.__openedAt ?? null);
  const checkInsAfter = await mentee.getByTestId("check-in").count();
  const completedAfter = Number(await mentee.getByTestId("progress").getAttribute("data-completed"));
  await mentor.getByTestId("check-in").filter({ hasText: body }).waitFor();

  const screenshots = [];
  for (const [who, page] of [["mentee", mentee], ["mentor", mentor]]) {
    const file = path.join(artifacts, `live-pair-${who}.png`);
    await page.screenshot({ path: file, fullPage: true });
    screenshots.push(file);
  }
  return {
    pairId,
    milestoneId,
    milestoneTitle,
    checkInBody: body,
    latencyMs: { milestone: milestoneMs, checkIn: checkInMs },
    completed: { before: completedBefore, after: completedAfter },
    checkIns: { before: checkInsBefore, after: checkInsAfter },
    mutationKeys,
    menteePage: {
      urlBefore: menteeUrl,
      urlAfter: mentee.url(),
      documentLoads,
      windowStateKept: stillOpen === "before the mentor acted",
    },
    screenshots,
  };
});
