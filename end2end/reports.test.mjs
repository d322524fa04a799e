// Reports in Chromium: the owner opens Reports on the demo data, reads the charts (each bar says
// its number), switches the period with the plain GET form, and downloads a report as CSV for
// Excel; a manager sees no money figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage, logIn, BASE_URL, screenshots } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an admin reads the reports, switches the period and downloads a CSV', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.getByRole('link', { name: 'Отчёты' }).first().click();
  await page.getByRole('heading', { name: 'Отчёты', level: 1 }).waitFor();
  for (const title of ['Выручка', 'Загрузка постов', 'Воронка консьержа', 'Неявки и отмены', 'Услуги', 'Источники записей']) {
    await page.getByRole('heading', { name: title, level: 2, exact: true }).waitFor();
  }
  // The demo's past visits are in the last 30 days: the revenue chart has bars that say their numbers.
  const revenue = page.getByRole('region', { name: 'Выручка' });
  const bars = revenue.locator('svg [role=img]');
  assert.ok((await bars.count()) > 0);
  const labels = await bars.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label')));
  assert.ok(labels.some((l) => /Выполнено, ₽: [1-9][\d\u00a0]*\u00a0₽/.test(l)), labels.join("\n"));
  // The heat map: weekdays by hours, the demo's shops open 09:00–20:00.
  const heat = page.getByTestId('table-heat');
  assert.ok((await heat.locator('[role=img]').count()) >= 7 * 11);
  await screenshots(page, 'reports');

  // A week grouped by days → the same week by weeks: one row in the revenue table.
  const form = page.getByRole('form', { name: 'Период отчётов' });
  const to = await form.getByLabel('По', { exact: true }).inputValue();
  const from = new Date(Date.parse(to) - 6 * 86400000).toISOString().slice(0, 10);
  await form.getByLabel('С', { exact: true }).fill(from);
  await form.getByLabel('Группировать').selectOption('month');
  await form.getByRole('button', { name: 'Показать' }).click();
  await page.waitForURL(/group=month/);
  assert.match(page.url(), new RegExp(`from=${from}`));
  const rows = page.getByTestId('table-by_period').first().locator('tbody tr');
  assert.ok((await rows.count()) <= 2, 'a week lies in at most two months');

  // The CSV: UTF-8 with a BOM, ; between fields, the period in its name.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    revenue.getByRole('link', { name: 'Скачать CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), new RegExp(`^report-revenue-${from}-${to}\\.csv$`));
  const csv = await readFile(await download.path(), 'utf8');
  assert.equal(csv.charCodeAt(0), 0xfeff);
  assert.match(csv, /Период;Записано, ₽;Записей;Выполнено, ₽;Выполнено визитов;Средний чек, ₽/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a manager sees the reports without money', async () => {
  const page = await openPage(browser, { width: 390, height: 800 });
  await logIn(page, 'manager@sever.demo');
  await page.goto(`${BASE_URL}/reports`);
  await page.getByText('без денежных показателей').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Выручка', level: 2, exact: true }).count(), 0);
  await page.getByRole('heading', { name: 'Услуги', level: 2, exact: true }).waitFor();
  assert.equal(await page.getByText('₽').count(), 0, 'no amount anywhere');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'ac_session');
  const refused = await fetch(`${BASE_URL}/api/v1/reports/revenue?format=csv`, { headers: { cookie: `ac_session=${cookie.value}` } });
  assert.equal(refused.status, 403);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
