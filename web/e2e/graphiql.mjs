// GraphiQL at /graphql with the internet blocked: its files must come from our server.
// Signs in with the page's form (which puts the token in the Headers tab), runs the
// page's example query, and reads the result panel; opens the settings dialog (whose
// scroll lock is a <style> the page's CSP admits by nonce) and the Explorer plugin;
// starts a subscription, so GraphiQL opens its websocket; checks where the token is kept
// (a reload is still signed in) and that the page's CSP refuses a script and a style it
// did not bring.
//
//   BASE_URL=http://127.0.0.1:8000 node e2e/graphiql.mjs   (make run's demo data)
// Env: GRAPHIQL_EMAIL (admin@example.com), PASSWORD (the demo's), ARTIFACTS_DIR, and
// GRAPHIQL_CDN_PAGE: a JSON file {"html", "policy"} with the page as the server sends it
// when GraphiQL's files are not installed. The page is then that one, and its requests to
// the CDN are answered with the server's own copies (same bytes, same integrity hashes),
// so the fallback's policy is tried with no internet.
import { readFileSync } from "node:fs";
import path from "node:path";

import { collectErrors, main, offlineContext, probeForeignCode, settings } from "./browser.mjs";

const EMAIL = process.env.GRAPHIQL_EMAIL ?? "admin@example.com";
const PASSWORD = process.env.PASSWORD ?? "mentorship-demo";
const CDN_PAGE = process.env.GRAPHIQL_CDN_PAGE;
const CDN = "https://unpkg.com/";

/** A CodeMirror 5 editor's whole text (the DOM shows only the visible lines). */
function editorText(page, selector) {
  return page.evaluate((sel) => {
    const element = document.querySelector(`${sel} .CodeMirror`);
    return element && element.CodeMirror ? element.CodeMirror.getValue() : null;
  }, selector);
}

/** Serve the CDN fallback page at /graphql, and the CDN's files from the server. */
async function asIfFromTheCdn(page, baseUrl, cdnRequests) {
  const { html, policy } = JSON.parse(readFileSync(CDN_PAGE, "utf-8"));
  await page.route(`${baseUrl}/graphql`, (route) =>
    route.request().resourceType() === "document"
      ? route.fulfill({
          status: 200,
          contentType: "text/html; charset=utf-8",
          headers: { "content-security-policy": policy },
          body: html,
        })
      : route.fallback(),
  );
  await page.route(`${CDN}**`, async (route) => {
    const url = route.request().url();
    cdnRequests.push(url);
    const response = await route.fetch({ url: `${baseUrl}/graphql/assets/${url.slice(CDN.length)}` });
    await route.fulfill({ response, headers: { ...response.headers(), "access-control-allow-origin": "*" } });
  });
}

main("graphiql", async (browser, report) => {
  const { baseUrl, artifacts } = settings();
  const context = await offlineContext(browser, baseUrl, report);
  const page = await context.newPage();
  collectErrors(page, report.errors, "graphiql");
  const cdnRequests = [];
  if (CDN_PAGE) await asIfFromTheCdn(page, baseUrl, cdnRequests);
  const frames = { sent: [], received: [] };
  page.on("websocket", (socket) => {
    frames.url = socket.url();
    socket.on("framesent", (frame) => frames.sent.push(JSON.parse(frame.payload).type));
    socket.on("framereceived", (frame) => frames.received.push(JSON.parse(frame.payload).type));
  });
  await page.goto(`${baseUrl}/graphql`, { headers: { accept: "text/html" } });
  const assets = await page.locator("body").getAttribute("data-assets");
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();

  // Sign in: the form puts {"Authorization": "Bearer <token>"} in the Headers tab.
  await page.locator("#login-email").fill(EMAIL);
  await page.locator("#login-password").fill(PASSWORD);
  await page.locator("#login-button").click();
  await page.locator("#auth-status").filter({ hasText: "Signed in as" }).waitFor();
  const status = (await page.locator("#auth-status").textContent())?.trim();
  const headers = await page.evaluate(() =>
    [...document.querySelectorAll(".graphiql-editor-tool .CodeMirror")]
      .map((element) => element.CodeMirror.getValue())
      .find((text) => text.includes("Authorization")) ?? null,
  );

  // The schema loads (introspection) before a run can be validated.
  await page.locator(".graphiql-doc-explorer, .graphiql-sidebar").first().waitFor();
  const query = await editorText(page, ".graphiql-query-editor");
  await page.locator(".graphiql-execute-button").click();
  await page.waitForFunction(() => {
    const element = document.querySelector(".result-window .CodeMirror");
    return element?.CodeMirror?.getValue().includes('"data"');
  });
  const resultText = await editorText(page, ".result-window");
  const screenshots = [path.join(artifacts, `graphiql${CDN_PAGE ? "-cdn" : ""}.png`)];
  await page.screenshot({ path: screenshots[0] });

  // The settings dialog locks the page's scroll with a <style> it adds (by nonce).
  await page.getByRole("button", { name: "Open settings dialog" }).click();
  await page.getByRole("dialog").waitFor();
  await page.waitForFunction(() => getComputedStyle(document.body).overflow === "hidden");
  const dialogScrollLocked = true;
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached" });

  // The Explorer plugin lists the schema's root fields.
  await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
  await page.locator(".graphiql-explorer-root").getByText("viewer", { exact: true }).first().waitFor();
  const explorer = await page.locator(".graphiql-explorer-root").first().isVisible();
  screenshots.push(path.join(artifacts, `graphiql-explorer${CDN_PAGE ? "-cdn" : ""}.png`));
  await page.screenshot({ path: screenshots[1] });

  // A subscription: GraphiQL opens its websocket to the same host (connect-src 'self').
  // Not with the CDN page: Chromium takes a page this script made up for one from the
  // internet, and its local-network checks refuse a websocket to 127.0.0.1 from there
  // (the policy's connect-src is the same in both pages).
  const websocket = CDN_PAGE ? null : await subscribe(page, frames);

  // The token is kept in this tab's sessionStorage (GraphiQL stores a moment after an
  // edit), so a reload is still signed in, and localStorage holds nothing.
  await page.waitForFunction(() => sessionStorage.getItem("graphiql:headers")?.includes("Bearer"));
  const storage = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
  }));
  await page.reload();
  await page.locator("#auth-status").filter({ hasText: "Signed in as" }).waitFor();
  const statusAfterReload = (await page.locator("#auth-status").textContent())?.trim();
  const probe = await probeForeignCode(page, report);
  return {
    assets,
    status,
    headers,
    exampleQuery: query,
    result: JSON.parse(resultText),
    dialogScrollLocked,
    explorer,
    websocket,
    storage,
    statusAfterReload,
    probe,
    cdnRequests,
    screenshots,
  };
});

/** Runs a subscription; the websocket's frames once it is acknowledged and subscribed. */
async function subscribe(page, frames) {
  await page.evaluate(() => {
    const editor = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
    editor.setValue("subscription Live { viewerNotifications { __typename } }");
  });
  await page.waitForTimeout(500); // GraphiQL reads the operation's name after an edit
  await page.locator(".graphiql-execute-button").click();
  const deadline = Date.now() + 10_000;
  while (!frames.received.includes("connection_ack") || !frames.sent.includes("subscribe")) {
    if (Date.now() > deadline) throw new Error(`no subscription on a websocket: ${JSON.stringify(frames)}`);
    await page.waitForTimeout(50);
  }
  await page.waitForTimeout(300); // an error frame, if the server refused it
  return { ...frames };
}
