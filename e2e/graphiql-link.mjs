// Opens a GraphiQL link from `csm-graph demo` in Debian's headless Chromium
// (/graphql#headers=<JSON>&variables=<JSON>) and reports what a newcomer gets:
// the address bar after loading, the tabs, the headers editor, the Viewer tab
// run as it opened, the CaseAccess tab run as it opened, and the headers and
// tabs again after a reload.
//
//   node graphiql-link.mjs <link> <screenshot.png>
//
// Prints a JSON report and exits 0, or 1 when a step failed (`error`), 2 on
// bad usage. The caller judges the report.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const [link, screenshot] = process.argv.slice(2);
if (!link || !screenshot) {
  console.error('usage: node graphiql-link.mjs <link> <screenshot.png>');
  process.exit(2);
}

const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const userDataDir = await mkdtemp(join(tmpdir(), 'csm-graphiql-link-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
  viewport: { width: 1280, height: 800 },
});

const report = { requests: [], failures: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (request) => report.requests.push(request.url()));
  page.on('pageerror', (error) => report.failures.push(`page error: ${error.message}`));

  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
  const toolEditor = page.locator('.graphiql-editor-tool .CodeMirror:visible');
  const resultPane = page.locator('.graphiql-response .CodeMirror');
  const tabs = () => page.locator('.graphiql-tab').allInnerTexts();
  const headers = async () => {
    await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
    return toolEditor.innerText();
  };
  const run = async (expected) => {
    await page.locator('.graphiql-execute-button').click();
    await resultPane.filter({ hasText: expected }).waitFor({ timeout: 15000 });
    return resultPane.innerText();
  };

  await page.goto(link, { waitUntil: 'networkidle' });
  await queryEditor.waitFor();
  report.address = page.url();
  report.tabs = (await tabs()).map((t) => t.trim());
  report.headers = await headers();
  report.viewer = await run('"viewer"');

  await page.locator('.graphiql-tab', { hasText: 'CaseAccess' }).click();
  await queryEditor.filter({ hasText: 'query CaseAccess' }).waitFor();
  await page.locator('.graphiql-editor-tools button[data-name="variables"]').click();
  report.variables = await toolEditor.innerText();
  report.caseAccess = await run('"explainAccess"');
  await mkdir(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });

  // GraphiQL saves its editors' text half a second after they change.
  await page.waitForTimeout(1000);
  await page.reload({ waitUntil: 'networkidle' });
  await queryEditor.waitFor();
  report.afterReload = { tabs: (await tabs()).map((t) => t.trim()), headers: await headers() };
} catch (error) {
  report.error = String(error);
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.error ? 1 : 0);
