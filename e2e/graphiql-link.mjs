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
import { launch, screenshot as saveScreenshot } from './chromium.mjs';

const [link, screenshot] = process.argv.slice(2);
if (!link || !screenshot) {
  console.error('usage: node graphiql-link.mjs <link> <screenshot.png>');
  process.exit(2);
}

const { page, close } = await launch('csm-graphiql-link-');

const report = { requests: [], failures: [] };
try {
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
  await saveScreenshot(page, screenshot);

  // GraphiQL saves its editors' text half a second after they change.
  await page.waitForTimeout(1000);
  await page.reload({ waitUntil: 'networkidle' });
  await queryEditor.waitFor();
  report.afterReload = { tabs: (await tabs()).map((t) => t.trim()), headers: await headers() };
} catch (error) {
  report.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.error ? 1 : 0);
