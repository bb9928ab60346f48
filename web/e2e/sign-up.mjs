// A newcomer's way in, in the example app (/app/): create an account, find the demo
// group, join it, open its program, sign up as a mentee with choice answers, see the
// sign-up waiting to be paired, and withdraw it. An address that matches no screen
// shows a "Page not found" page. The token is in sessionStorage, and the page's CSP
// refuses a script and a style it did not bring.
//
//   BASE_URL=http://127.0.0.1:8000 node e2e/sign-up.mjs   (make run's demo data)
// Env: GROUP_SEARCH (a word of the demo group's name, "Tech" by default), ARTIFACTS_DIR.
import path from "node:path";

import { collectErrors, main, offlineContext, probeForeignCode, settings } from "./browser.mjs";

const SEARCH = process.env.GROUP_SEARCH ?? "Tech";

main("sign-up", async (browser, report) => {
  const { baseUrl, artifacts } = settings();
  const context = await offlineContext(browser, baseUrl, report);
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
  const programUrl = page.url();

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

  // Sign up again, then the admin pairs them (by API): the open page shows the pair
  // live, from the PAIRED notification, with no reload.
  await page.goto(programUrl);
  await signUp.getByTestId("question").first().waitFor();
  for (let i = 0; i < count; i++) {
    const question = questions.nth(i);
    const boxes = question.locator("input[type=checkbox], input[type=radio]");
    if ((await boxes.count()) > 0) await boxes.first().check();
    else await question.locator("textarea").fill("Back again: I want to lead a team.");
  }
  await signUp.getByRole("button", { name: "Sign up" }).click();
  await done.getByRole("button", { name: "Back to my pairs" }).click();
  await mine.getByText("WAITING TO BE PAIRED").waitFor();
  let documentLoads = 0;
  page.on("load", () => documentLoads++);
  const mentor = await pairAsAdmin(baseUrl, email);
  const pair = page.getByTestId("pair").filter({ hasText: mentor });
  await pair.waitFor({ timeout: 5000 });
  const pairedLive = documentLoads === 0;
  await page.screenshot({ path: path.join(artifacts, "sign-up-paired.png"), fullPage: true });
  report.screenshots.push(path.join(artifacts, "sign-up-paired.png"));

  // A mistyped pair address, and an address that is no screen of the app.
  await page.goto(`${baseUrl}/app/pairs/garbage123`);
  const badPair = await page.getByTestId("not-found").innerText();
  await page.goto(`${baseUrl}/app/no/such/page`);
  const notFound = await page.getByTestId("not-found").innerText();

  // Where the token is kept (sessionStorage: it leaves with the tab), and the page's
  // Content-Security-Policy refuses code it did not bring.
  const storage = await page.evaluate(() => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
  }));
  await page.goto(`${baseUrl}/app/`); // a new page load in the tab is still signed in
  await page.getByText("Signed in as Nia Newcomer").waitFor();
  const probe = await probeForeignCode(page, report);

  return {
    storage,
    probe,
    email,
    programTitle,
    missingBefore: missing,
    questions: count,
    chosen,
    counter,
    confirmation,
    withdrawn: true,
    pairedWith: mentor,
    pairedLive,
    badPair,
    notFound,
  };
});

/** As the demo admin, over the API: pair a waiting mentor with the newcomer's pending
 * sign-up. Returns the mentor's name. */
async function pairAsAdmin(baseUrl, email) {
  const call = async (query, variables, token) => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const login = await call(
    "mutation($input: LoginInput!) { login(input: $input) { token } }",
    { input: { email: "admin@example.com", password: "mentorship-demo" } },
  );
  const token = login.login.token;
  const groups = await call(
    "{ viewer { groups(role: ADMIN, first: 5) { edges { node { programs(status: OPEN, first: 5) { edges { node { id } } } } } } } }",
    {},
    token,
  );
  const programId = groups.viewer.groups.edges[0].node.programs.edges[0].node.id;
  const waiting = await call(
    "query($id: ID!) { program(id: $id) { signUps(status: PENDING, first: 100) { edges { node { id role user { name } } } } } }",
    { id: programId },
    token,
  );
  const signUps = waiting.program.signUps.edges.map((edge) => edge.node);
  const mentor = signUps.find((s) => s.role === "MENTOR"); // one still waiting, as Noor is
  const mentee = signUps.find((s) => s.role === "MENTEE" && s.user.name === "Nia Newcomer");
  if (!mentor || !mentee) throw new Error(`no sign-ups to pair for ${email}`);
  const made = await call(
    "mutation($input: CreatePairInput!) { createPair(input: $input) { pair { id } userErrors { message } } }",
    { input: { mentorSignUpId: mentor.id, menteeSignUpId: mentee.id } },
    token,
  );
  if (made.createPair.userErrors.length) throw new Error(made.createPair.userErrors[0].message);
  return mentor.user.name;
}
