// A newcomer's way in, in the example app (/app/): create an account, find the demo
// group, join it, open its program, sign up as a mentee with choice answers, see the
// sign-up waiting to be paired, and withdraw it. An address that matches no screen
// shows a "Page not found" page.
//
//   BASE_URL=http://127.0.0.1:8000 node e2e/sign-up.mjs   (make run's demo data)
// Env: GROUP_SEARCH (a word of the demo group's name, "Tech" by default), ARTIFACTS_DIR.
import path from "node:path";

import { collectErrors, main, offlineContext, settings } from "./browser.mjs";

const SEARCH = process.env.GROUP_SEARCH ?? "Tech";

main("sign-up", async (browser, report) => {
  const { baseUrl, artifacts } = settings();
  const context = await offlineContext(browser, baseUrl, report.blocked);
  const page = await context.newPage();
  collectErrors(page, report.errors, "newcomer");
  const email = `newcomer-${Date.now().toString(36)}@example.com`;

  await page.goto(`${baseUrl}/app/`);
  await page.getByRole("button", { name: "Create an account" }).click();
  const form = page.getByRole("form", { name: "Create an account" });
  await form.getByLabel("Name").fill("Nia Newcomer");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill("a long passphrase");
  await form.getByLabel("Birth date").fill("1992-05-17");
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Signed in as Nia Newcomer").waitFor();

  // Find the group and join it: its open program then shows.
  await page.getByRole("link", { name: "Find a program" }).click();
  await page.getByLabel("Group name").fill(SEARCH);
  await page.getByRole("button", { name: "Search" }).click();
  const group = page.getByTestId("group").filter({ hasText: "Women in Tech Careers" });
  await group.getByRole("button", { name: /^Join / }).click();
  const program = group.getByRole("link").first();
  const programTitle = await program.innerText();
  await program.click();

  // Sign up as a mentee: an empty form first, which names what is missing.
  const signUp = page.getByRole("form", { name: "Sign up" });
  await signUp.getByRole("button", { name: "Sign up" }).click();
  await signUp.getByText("Please answer:").first().waitFor();
  const missing = await signUp.getByText("Please answer:").count();
  const questions = signUp.getByTestId("question");
  const count = await questions.count();
  let chosen = 0;
  for (let i = 0; i < count; i++) {
    const question = questions.nth(i);
    const boxes = question.locator("input[type=checkbox], input[type=radio]");
    if ((await boxes.count()) > 0) {
      await boxes.first().check();
      chosen++;
    } else {
      await question.locator("textarea").fill("I want to grow into a team lead this year.");
    }
  }
  const counter = await signUp.locator(".counter").first().innerText();
  await page.screenshot({ path: path.join(artifacts, "sign-up-form.png"), fullPage: true });
  report.screenshots.push(path.join(artifacts, "sign-up-form.png"));
  await signUp.getByRole("button", { name: "Sign up" }).click();
  const done = page.getByTestId("signed-up");
  await done.waitFor();
  const confirmation = await done.innerText();

  // Back on the pairs page the sign-up waits to be paired, and can be withdrawn.
  await done.getByRole("button", { name: "Back to my pairs" }).click();
  const mine = page.getByTestId("sign-up").filter({ hasText: programTitle });
  await mine.getByText("WAITING TO BE PAIRED").waitFor();
  await mine.getByRole("button", { name: "Withdraw" }).click();
  await mine.waitFor({ state: "detached" });

  // An address that is no screen of the app.
  await page.goto(`${baseUrl}/app/no/such/page`);
  const notFound = await page.getByTestId("not-found").innerText();

  return {
    email,
    programTitle,
    missingBefore: missing,
    questions: count,
    chosen,
    counter,
    confirmation,
    withdrawn: true,
    notFound,
  };
});
