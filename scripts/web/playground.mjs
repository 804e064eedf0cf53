// The playground in headless Chromium, as support staff use it: open GET /graphql with every
// other host unreachable, paste the token into the Headers tab, run a query, read its result,
// open the schema explorer. Fails on any request that leaves the server's origin, any script
// error or CSP violation, or a result without the expected brand.
// Usage: node playground.mjs BASE_URL TOKEN EXPECTED_BRAND_NAME
import { chromium } from 'playwright-core';

const [base, token, brandName] = process.argv.slice(2);
if (!base || !token || !brandName) {
  console.error('usage: node playground.mjs BASE_URL TOKEN EXPECTED_BRAND_NAME');
  process.exit(2);
}
const origin = new URL(base).origin;
const fail = (why) => {
  console.error(`playground: FAILED: ${why}`);
  process.exitCode = 1;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // No other host resolves: a page that needs the internet cannot load.
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const page = await browser.newPage();
  const offOrigin = [];
  const problems = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    offOrigin.push(url);
    return route.abort();
  });
  page.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`CSP: ${m.text()}`);
    }
  });

  await page.goto(`${base}/graphql`, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  const note = await page.textContent('#token-note');
  if (!/Headers tab/.test(note ?? '')) fail('the page does not explain where the token goes');

  // The Headers tab is open, with the template; replace it as a person would, by typing.
  const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').first();
  await headers.waitFor({ timeout: 10000 });
  const template = await headers.innerText();
  if (!template.includes('PASTE-YOUR-TOKEN-HERE')) fail(`header template missing: ${template}`);
  await headers.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(`{"Authorization": "Bearer ${token}"`);

  await page.click('.graphiql-execute-button');
  const response = page.locator('.graphiql-response .CodeMirror');
  await page.waitForFunction(
    (name) => document.querySelector('.graphiql-response .CodeMirror')?.innerText.includes(name),
    brandName,
    { timeout: 20000 },
  ).catch(async () => fail(`no brand "${brandName}" in the result: ${await response.innerText()}`));
  const result = await response.innerText();
  if (/UNAUTHENTICATED/.test(result)) fail(`the token was not sent: ${result}`);

  // The schema explorer, with the token now in the headers.
  await page.click('[aria-label="Re-fetch GraphQL schema"]');
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer', { timeout: 10000 });
  await page.waitForFunction(
    () => document.querySelector('.graphiql-doc-explorer')?.innerText.includes('QueryRoot'),
    undefined,
    { timeout: 20000 },
  ).catch(async () => fail(`the schema explorer shows no schema: ${await page.locator('.graphiql-doc-explorer').innerText()}`));

  if (offOrigin.length) fail(`requests left the origin: ${offOrigin.join(', ')}`);
  if (problems.length) fail(problems.join('; '));
  if (!process.exitCode) {
    console.log(`playground: ok (query result has "${brandName}", schema explorer loaded, no off-origin request)`);
  }
} finally {
  await browser.close();
}
