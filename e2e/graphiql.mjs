// Drives the app's GraphiQL page in Debian's headless Chromium, as a
// developer would: open /graphql, put a bearer token in the headers editor,
// run `{ viewer { email } }` and read the result pane.
//
//   node graphiql.mjs <app origin> <access token> <expected email> <screenshot.png>
//
// Prints a JSON report (`requests`: every URL the page fetched; `result`: the
// result pane's text) and exits 1 when the page fetched from another origin
// or the result pane does not show the email, 2 on bad usage.
import { launch, screenshot as saveScreenshot } from './chromium.mjs';

const [origin, token, email, screenshot] = process.argv.slice(2);
if (!origin || !token || !email || !screenshot) {
  console.error('usage: node graphiql.mjs <origin> <token> <email> <screenshot.png>');
  process.exit(2);
}

const { page, close } = await launch('csm-graphiql-');

const requests = [];
const foreign = [];
const failures = [];
const report = { requests, foreign, failures, result: null, ok: false };
try {
  page.on('request', (request) => {
    const url = request.url();
    requests.push(url);
    // data: and blob: URLs are made by the page itself, not fetched.
    if (!/^(data|blob):/.test(url) && new URL(url).origin !== origin) {
      foreign.push(url);
    }
  });
  page.on('websocket', (socket) => {
    const url = new URL(socket.url());
    requests.push(socket.url());
    if (url.host !== new URL(origin).host) foreign.push(socket.url());
  });
  page.on('requestfailed', (request) => failures.push(request.url()));
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));

  await page.goto(`${origin}/graphql`, { waitUntil: 'networkidle' });
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

  // The headers editor: open its tab, replace its text as typed input.
  await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
  const headers = page.locator('.graphiql-editor-tool .CodeMirror:visible');
  await headers.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));

  // The query editor, likewise.
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText('{ viewer { email } }');

  await page.locator('.graphiql-execute-button').click();
  const resultPane = page.locator('.graphiql-response .CodeMirror');
  await resultPane.filter({ hasText: email }).waitFor({ timeout: 15000 });
  report.result = await resultPane.innerText();
  await saveScreenshot(page, screenshot);
  report.ok = foreign.length === 0 && report.result.includes(email);
} catch (error) {
  report.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
