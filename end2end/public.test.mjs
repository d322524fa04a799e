// The company's public page (issue 15, its first part) in Chromium, as a car owner on a phone
// with JavaScript off: the company, its shops with phones and hours, prices by section, and how
// to book; an unknown company is a page that says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshots, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a car owner reads a company public page on a phone, without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 800 } });
  const page = await context.newPage();
  const response = await page.goto(`${BASE_URL}/b/sever`);
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { name: 'Автосервис Север', exact: true }).waitFor();
  const shops = page.getByRole('region', { name: 'Наши сервисы' });
  await shops.getByText('Север на Ленинградке').waitFor();
  assert.equal(await shops.getByRole('link', { name: '+74951234501' }).getAttribute('href'), 'tel:+74951234501');
  const prices = page.getByRole('region', { name: 'Работы и цены' });
  const section = prices.getByRole('region', { name: 'Подвеска' });
  assert.match(await section.textContent(), /₽/);
  assert.match(await page.getByRole('region', { name: 'Как записаться' }).textContent(), /Позвоните|Telegram/);
  // Nothing overflows the phone's width.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390));
  await screenshots(page, 'public-page');

  const missing = await page.goto(`${BASE_URL}/b/no-such-company`);
  assert.equal(missing.status(), 404);
  await page.getByRole('heading', { name: 'Такого автосервиса у нас нет' }).waitFor();
  await context.close();
});
