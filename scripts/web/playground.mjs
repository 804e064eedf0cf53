// The playground in headless Chromium, as support staff use it: open GET /graphql with every
// other host unreachable, read the banner, double-click the placeholder in the Headers tab and
// type the token over it, run a query, read its result, re-fetch the schema and open the schema
// explorer, then put a sign-in with a `claims` object in the Variables tab. Fails on any request
// that leaves the server's origin, any script error or CSP violation, a result without the
// expected brand, a Headers template other than the README's ("The playground" section), a
// placeholder a double-click does not select whole, a banner that does not say where the owner
// token comes from, a red lint mark on the `claims` object, or sidebar buttons without the
// labels the README tells people to press.
// Usage: node playground.mjs BASE_URL TOKEN EXPECTED_BRAND_NAME
// SCREENSHOTS=DIR saves what the page looked like at each step (for people; CI does not look).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
const screenshot = async (page, name) => {
  if (process.env.SCREENSHOTS) await page.screenshot({ path: join(process.env.SCREENSHOTS, `${name}.png`) });
};

// What the README promises: its "The playground" section, the Headers template (its first json
// block) and the buttons it says to press.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.match(/^### The playground\n([\s\S]*?)(?=^#{1,3} )/m)?.[1] ?? '';
const readmeTemplate = section.match(/```json\n([\s\S]*?)```/)?.[1].trim() ?? '';
const placeholder = readmeTemplate.match(/"Bearer ([^"]*)"/)?.[1] ?? '';
if (!placeholder) fail(`no Headers template with "Bearer PLACEHOLDER" in the README's playground section`);
// A double-click selects one word: letters, digits and underscores in CodeMirror (and Monaco).
if (!/^\w+$/.test(placeholder)) fail(`the README's placeholder "${placeholder}" is not one word`);
const labels = ['Docs', 'Re-fetch GraphQL schema'];
for (const label of labels) {
  if (!section.replace(/\s+/g, " ").includes(`**${label}**`)) fail(`the README's playground section does not say to press **${label}**`);
}

// The visible editor of the editor tools (Variables, Headers): a CodeMirror 5 editor in GraphiQL
// 3, whose element holds the editor as `.CodeMirror`.
const tool = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const cmValue = (page, selector) =>
  page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue(), selector);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // No other host resolves: a page that needs the internet cannot load.
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
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

  // The banner: where the token goes, and where a first one comes from.
  const note = ((await page.textContent('#token-note')) ?? '').replace(/\s+/g, ' ');
  for (const want of [
    'Headers tab',
    placeholder,
    'owner token',
    'first start of autoprov serve',
    'cargo run --release',
    'empty database',
    'autoprov token create --name NAME --role owner',
  ]) {
    if (!note.includes(want)) fail(`the banner does not say "${want}": ${note}`);
  }

  // The Headers tab is open, with the README's template.
  const headers = page.locator(tool).first();
  await headers.waitFor({ timeout: 10000 });
  const template = await cmValue(page, tool);
  if (template?.trim() !== readmeTemplate) {
    fail(`the Headers template is not the README's:\n  page:   ${template}\n  README: ${readmeTemplate}`);
  }
  await screenshot(page, '1-opened');

  // A person double-clicks the placeholder and types the secret over it.
  const at = await page.evaluate(
    ({ s, word }) => {
      const cm = document.querySelector(s)?.CodeMirror;
      const index = cm?.getValue().indexOf(word) ?? -1;
      if (index < 0) return null;
      const middle = cm.charCoords(cm.posFromIndex(index + Math.floor(word.length / 2)), 'window');
      return { x: middle.left + 1, y: (middle.top + middle.bottom) / 2 };
    },
    { s: tool, word: placeholder },
  );
  if (!at) {
    fail(`no placeholder "${placeholder}" in the Headers tab: ${template}`);
  } else {
    await page.mouse.dblclick(at.x, at.y);
    const selected = await page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getSelection(), tool);
    if (selected !== placeholder) fail(`a double-click on the placeholder selected "${selected}", not "${placeholder}"`);
    await page.keyboard.type(token);
  }
  const typed = await cmValue(page, tool);
  const sent = (() => {
    try {
      return JSON.parse(typed).Authorization;
    } catch {
      return undefined;
    }
  })();
  if (sent !== `Bearer ${token}`) {
    // Fall back to replacing the whole text, so the checks below still run.
    fail(`typing the token over the selected placeholder gave ${typed}`);
    await headers.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(`{"Authorization": "Bearer ${token}"`);
  }

  await page.click('.graphiql-execute-button');
  const response = page.locator('.graphiql-response .CodeMirror');
  await page.waitForFunction(
    (name) => document.querySelector('.graphiql-response .CodeMirror')?.innerText.includes(name),
    brandName,
    { timeout: 20000 },
  ).catch(async () => fail(`no brand "${brandName}" in the result: ${await response.innerText()}`));
  const result = await response.innerText();
  if (/UNAUTHENTICATED/.test(result)) fail(`the token was not sent: ${result}`);

  // The sidebar buttons the README names, labelled on the page (drawn by CSS under the icon,
  // so read the rendered pseudo-element) and wide enough to show their label.
  for (const [label, selector] of [
    ['Docs', '[aria-label="Show Documentation Explorer"]'],
    ['Re-fetch GraphQL schema', '[aria-label="Re-fetch GraphQL schema"]'],
  ]) {
    const shown = await page.evaluate((s) => {
      const button = document.querySelector(`.graphiql-sidebar ${s}`);
      if (!button) return { missing: true };
      const after = getComputedStyle(button, '::after');
      const box = button.getBoundingClientRect();
      const sidebar = button.closest('.graphiql-sidebar').getBoundingClientRect();
      // The widest word, in the label's font: it has to fit in the button.
      const context = document.createElement('canvas').getContext('2d');
      context.font = `${after.fontWeight} ${after.fontSize} ${after.fontFamily}`;
      const text = after.content.replace(/^"|"$/g, '');
      const widest = Math.max(0, ...text.split(/\s+/).map((w) => context.measureText(w).width));
      return {
        text,
        visible:
          after.display !== 'none' && after.visibility === 'visible' && parseFloat(after.fontSize) >= 10 &&
          after.color !== 'rgba(0, 0, 0, 0)' && box.width >= widest && box.left >= sidebar.left &&
          box.right <= sidebar.right && box.bottom <= window.innerHeight,
      };
    }, selector);
    if (shown.missing) fail(`no sidebar button ${selector}`);
    else if (shown.text !== label || !shown.visible) {
      fail(`the sidebar button ${selector} shows "${shown.text}"${shown.visible ? '' : ' (not visibly)'}, not "${label}"`);
    }
  }

  // The schema explorer, with the token now in the headers.
  await page.click('[aria-label="Re-fetch GraphQL schema"]');
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer', { timeout: 10000 });
  await page.waitForFunction(
    () => document.querySelector('.graphiql-doc-explorer')?.innerText.includes('QueryRoot'),
    undefined,
    { timeout: 20000 },
  ).catch(async () => fail(`the schema explorer shows no schema: ${await page.locator('.graphiql-doc-explorer').innerText()}`));
  await screenshot(page, '2-docs');
  // Closed again, so that the editors have room.
  await page.click('[aria-label="Hide Documentation Explorer"]');

  // A sign-in in the Variables tab: `claims` is a JSON object (scalar JSON) and must not be
  // marked red. First a wrong `subject` (a number for String!), which must be marked, so that a
  // linter that never runs (no schema, no variables) does not pass for a quiet one.
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await queryEditor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(
    'mutation SignIn($input: SignInInput!) {\n  sso {\n    signIn(input: $input) { outcome }\n  }\n}\n',
  );
  await page.click('.graphiql-editor-tools button:has-text("Variables")');
  const lintMarks = async (text) => {
    await page.locator(tool).first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
    const value = await cmValue(page, tool);
    if (value !== text) fail(`the Variables tab holds ${value}, not ${text}`);
    // The linter runs 500 ms after the last change.
    await page.waitForTimeout(1500);
    return page.evaluate((s) => {
      const cm = document.querySelector(s)?.CodeMirror;
      const marks = (cm?.getAllMarks() ?? [])
        .filter((m) => /CodeMirror-lint-mark-error/.test(m.className ?? ''))
        .map((m) => m.__annotation?.message ?? cm.getRange(m.find().from, m.find().to));
      const shown = document.querySelectorAll(`${s} .CodeMirror-lint-mark-error, ${s} .CodeMirror-lint-marker-error`).length;
      return { marks, shown };
    }, tool);
  };
  const signIn = (subject) =>
    `{"input": {"brandId": "x", "identityProviderId": "y", "subject": ${subject}, "claims": {"email": "a@b.c"}}}`;
  const wrong = await lintMarks(signIn('5'));
  await screenshot(page, '3-variables-wrong');
  if (wrong.shown === 0) fail('the Variables linter did not mark a number given for subject: String! (is it running?)');
  const right = await lintMarks(signIn('"s"'));
  await screenshot(page, '4-variables');
  if (right.shown > 0 || right.marks.length > 0) {
    fail(`the Variables tab marks a valid sign-in red: ${JSON.stringify(right.marks)} (${right.shown} marked)`);
  }

  if (offOrigin.length) fail(`requests left the origin: ${offOrigin.join(', ')}`);
  if (problems.length) fail(problems.join('; '));
  if (!process.exitCode) {
    console.log(
      `playground: ok (README's header template, "${placeholder}" double-clicked whole, banner names the owner token, ` +
        `query result has "${brandName}", sidebar labels ${labels.map((l) => `"${l}"`).join(' and ')}, ` +
        `schema explorer loaded, claims object not marked, no off-origin request)`,
    );
  }
} finally {
  await browser.close();
}
