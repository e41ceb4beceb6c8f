// The admin page in a real browser (Debian's chromium driven by playwright-core), as an
// operator uses it: sign in, create a custom-source rule in the two-step dialog, execute it,
// confirm, watch it succeed, see the synced tags, delete the rule. Elements are found by their
// labels and roles only. Run by integration/tests/test_admin_page.py, which starts the
// registries and `tributary serve` and passes:
//   TRIB_PAGE_URL, TRIB_PAGE_TOKEN, TRIB_SOURCE_DOMAIN, TRIB_SOURCE_REPOSITORY,
//   TRIB_EXPECTED_TAGS (comma-separated), TRIB_SCREENSHOT_DIR, TRIB_CHROMIUM (optional)
// Exits 0 when every step held, 1 with the failing step otherwise.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';

const url = process.env.TRIB_PAGE_URL;
const token = process.env.TRIB_PAGE_TOKEN;
const domain = process.env.TRIB_SOURCE_DOMAIN;
const sourceRepository = process.env.TRIB_SOURCE_REPOSITORY;
const expectedTags = (process.env.TRIB_EXPECTED_TAGS || '').split(',').filter(Boolean);
const shots = process.env.TRIB_SCREENSHOT_DIR || '.';
const executablePath = process.env.TRIB_CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(shots, { recursive: true });

let shotNumber = 0;
async function shot(page, name) {
  shotNumber += 1;
  const file = path.join(shots, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}

function step(name) { console.log(`step: ${name}`); }

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // As root on a closed network: no sandbox, no background or update traffic.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));

  step('sign in with the admin token');
  await page.goto(url);
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('The admin token was refused').waitFor();
  await shot(page, 'signin-refused');
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Artifact Subscription' }).waitFor();
  await shot(page, 'rules-empty');

  step('open the two-step dialog');
  await page.getByRole('button', { name: 'Create Subscription Rule' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create Subscription Rule' });
  await dialog.waitFor();

  step('the domain field appears only for Custom Source');
  const sourceSelect = dialog.getByLabel('Artifact Source');
  const domainField = dialog.getByLabel('Source Repository Domain Name');
  for (const label of ['Docker Hub', 'GCR', 'Quay']) {
    await sourceSelect.selectOption({ label });
    assert.equal(await domainField.isVisible(), false, `domain field shown for ${label}`);
  }
  await sourceSelect.selectOption({ label: 'Custom Source' });
  assert.equal(await domainField.isVisible(), true, 'domain field hidden for Custom Source');

  step('N is refused above the source maximum (6 for Docker Hub, 31 for others)');
  await dialog.getByLabel('Rule Name').fill('page-rule');
  await dialog.getByLabel('Source Repository Location').fill('library/app');
  const n = dialog.getByLabel('Subscribe to the first N images');
  await sourceSelect.selectOption({ label: 'Docker Hub' });
  await n.fill('6');
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByText('from 1 to 5 for Docker Hub').waitFor();
  assert.equal(await n.getAttribute('aria-invalid'), 'true');
  await shot(page, 'n-over-dockerhub-limit');
  await sourceSelect.selectOption({ label: 'Quay' });
  await n.fill('31');
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByText('from 1 to 30 for Quay').waitFor();

  step('an invalid regex is refused with PCRE2\'s message next to the field');
  await sourceSelect.selectOption({ label: 'Custom Source' });
  await domainField.fill(domain);
  await dialog.getByLabel('Source Repository Location').fill(sourceRepository);
  await dialog.getByLabel('Image versions to subscribe to').fill('v(');
  await n.fill(String(expectedTags.length || 2));
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByLabel('Repositories').fill('mirror/page');
  await dialog.getByLabel('Update Period').fill('manual');
  await dialog.getByRole('button', { name: 'Create Subscription Rule' }).click();
  const regex = dialog.getByLabel('Image versions to subscribe to');
  await regex.waitFor({ state: 'visible' });
  await page.waitForFunction(() =>
    document.getElementById('tag-regex').getAttribute('aria-invalid') === 'true');
  const regexError = await page.locator('#tag-regex-error').textContent();
  assert.match(regexError, /missing closing parenthesis/i, `regex error was: ${regexError}`);
  await shot(page, 'invalid-regex');

  step('create the rule');
  await regex.fill('.*');
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByLabel('Update Period').fill('0 3 * * *');
  await dialog.getByText('Next runs:').waitFor();
  await shot(page, 'step-2-cron-preview');
  await dialog.getByLabel('Update Period').fill('manual');
  await dialog.getByRole('button', { name: 'Create Subscription Rule' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const row = page.getByRole('row').filter({ hasText: 'page-rule' });
  await row.waitFor();
  await shot(page, 'rule-created');

  step('execute, confirm in Tips, wait for success');
  await page.getByRole('button', { name: 'Execute page-rule' }).click();
  const tips = page.getByRole('dialog', { name: 'Tips' });
  await tips.waitFor();
  await shot(page, 'execute-tips');
  await tips.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('status').filter({ hasText: /Status: (succeeded|partial|failed)/ })
    .waitFor({ timeout: 120000 });
  const status = await page.getByRole('status').textContent();
  assert.equal(status.trim(), 'Status: succeeded');
  const results = page.getByRole('table', { name: 'Per-tag results' });
  for (const tag of expectedTags) {
    await results.getByRole('row').filter({ hasText: tag }).filter({ hasText: 'synced' }).waitFor();
  }
  await shot(page, 'task-succeeded');

  step('the history lists the task with its summary, and opens its per-tag report');
  const listAnswer = page.waitForResponse((r) => /\/api\/v1\/tasks\?rule=/.test(r.url()));
  await page.getByRole('button', { name: 'History of page-rule' }).click();
  const listed = await (await listAnswer).json();
  assert.ok(listed.tasks.length >= 1, 'the history lists no task');
  for (const t of listed.tasks) {
    assert.ok(!('report' in t), `task ${t.id} listed with its whole report`);
    assert.ok(t.summary && t.summary.counts, `task ${t.id} listed without a summary`);
  }
  const history = page.getByRole('table', { name: 'Task history' });
  await history.getByRole('row').filter({ hasText: 'succeeded' })
    .filter({ hasText: `${expectedTags.length} synced` }).waitFor();
  await shot(page, 'task-history');
  const detailAnswer = page.waitForResponse((r) => /\/api\/v1\/tasks\/\d+$/.test(r.url()));
  await history.getByRole('button', { name: `Open task ${listed.tasks[0].id}` }).click();
  const detail = await (await detailAnswer).json();
  assert.equal(detail.report.tags.length, expectedTags.length, 'the task view has no report');
  for (const tag of expectedTags) {
    await results.getByRole('row').filter({ hasText: tag }).filter({ hasText: 'synced' }).waitFor();
  }

  step('the repository view shows the synced tags');
  await page.getByRole('link', { name: 'Repositories' }).click();
  await page.getByLabel('Repository', { exact: true }).fill('mirror/page');
  await page.getByRole('button', { name: 'Show tags' }).click();
  const tagsTable = page.getByRole('table', { name: 'Tags in the repository' });
  await tagsTable.waitFor();
  for (const tag of expectedTags) {
    await tagsTable.getByRole('row').filter({ hasText: tag }).filter({ hasText: 'sha256:' }).waitFor();
  }
  await shot(page, 'repository-view');

  step('delete asks for confirmation');
  await page.getByRole('link', { name: 'Artifact Subscription' }).click();
  await page.getByRole('button', { name: 'Delete page-rule' }).click();
  await tips.waitFor();
  await tips.getByRole('button', { name: 'Cancel' }).click();
  await tips.waitFor({ state: 'hidden' });
  assert.equal(await row.count(), 1, 'cancelled delete removed the rule');
  await page.getByRole('button', { name: 'Delete page-rule' }).click();
  await tips.getByRole('button', { name: 'Confirm' }).click();
  await row.waitFor({ state: 'detached' });
  await shot(page, 'rule-deleted');

  step('no request left this server, none carried the token in its URL');
  const origin = new URL(url).origin;
  for (const r of requested) {
    assert.ok(r.startsWith(origin), `request outside the server: ${r}`);
    assert.ok(!r.includes(token), `token in a URL: ${r}`);
  }
  const cspViolations = consoleErrors.filter((e) => /Content Security Policy/i.test(e));
  assert.deepEqual(cspViolations, [], 'CSP violations');
  console.log('admin page: all steps passed');
} catch (e) {
  failed = true;
  console.error(`admin page FAILED: ${e.stack || e}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
