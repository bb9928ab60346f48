// GraphiQL at /graphql with the internet blocked: its files must come from our server.
// Signs in with the page's form (which puts the token in the Headers tab), runs the
// page's example query, and reads the result panel; opens the Explorer plugin.
//
//   BASE_URL=http://127.0.0.1:8000 node e2e/graphiql.mjs   (make run's demo data)
// Env: GRAPHIQL_EMAIL (admin@example.com), PASSWORD (the demo's), ARTIFACTS_DIR.
import path from "node:path";

import { collectErrors, main, offlineContext, settings } from "./browser.mjs";

const EMAIL = process.env.GRAPHIQL_EMAIL ?? "admin@example.com";
const PASSWORD = process.env.PASSWORD ?? "mentorship-demo";

/** A CodeMirror 5 editor's whole text (the DOM shows only the visible lines). */
function editorText(page, selector) {
  return page.evaluate((sel) => {
    const element = document.querySelector(`${sel} .CodeMirror`);
    return element && element.CodeMirror ? element.CodeMirror.getValue() : null;
  }, selector);
}

main("graphiql", async (browser, report) => {
  const { baseUrl, artifacts } = settings();
  const context = await offlineContext(browser, baseUrl, report.blocked);
  const page = await context.newPage();
  collectErrors(page, report.errors, "graphiql");
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
  const screenshots = [path.join(artifacts, "graphiql.png")];
  await page.screenshot({ path: screenshots[0] });

  // The Explorer plugin lists the schema's root fields.
  await page.getByRole("button", { name: "Show GraphiQL Explorer" }).click();
  await page.locator(".graphiql-explorer-root").getByText("viewer", { exact: true }).first().waitFor();
  const explorer = await page.locator(".graphiql-explorer-root").first().isVisible();

  screenshots.push(path.join(artifacts, "graphiql-explorer.png"));
  await page.screenshot({ path: screenshots[1] });
  return {
    assets,
    status,
    headers,
    exampleQuery: query,
    result: JSON.parse(resultText),
    explorer,
    screenshots,
  };
});
