// Debian's headless Chromium for the GraphiQL checks, through playwright-core
// (Playwright's own browser downloads are never used): a throwaway profile,
// the flags a sandboxed CI machine needs, and a screenshot helper.
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

/** A browser context on a fresh profile; `close()` also removes the profile. */
export async function launch(prefix) {
  const userDataDir = await mkdtemp(join(tmpdir(), prefix));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
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
  const page = context.pages()[0] ?? (await context.newPage());
  const close = async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** A full-page screenshot at `path`, its folder made when missing. */
export async function screenshot(page, path) {
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
}
