// Smoke test of the web admin in Chromium: SSR page, hydration, login against the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitForHydration, BASE_URL, ARTIFACTS } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the login page is rendered on the server before any script runs', async () => {
  const response = await fetch(`${BASE_URL}/login`);
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /Вход для сотрудников автосервиса/);
  assert.match(html, /data-hydrated="false"/);
});

test('the page hydrates, and «Показать пароль» (public/forms.js) shows the password', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/login`);
  await waitForHydration(page);
  const toggle = page.locator('#toggle-password');
  assert.equal(await toggle.textContent(), 'Показать пароль');
  assert.equal(await page.getAttribute('#password', 'type'), 'password');
  await toggle.click();
  assert.equal(await toggle.textContent(), 'Скрыть пароль');
  assert.equal(await page.getAttribute('#password', 'type'), 'text');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a wrong password is refused in place; the demo admin logs in and out', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/`);
  await page.waitForURL(/\/login$/);
  await waitForHydration(page);
  await page.fill('#email', 'admin@sever.demo');
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await page.getByRole('alert').filter({ hasText: 'Неверный e-mail или пароль' }).waitFor();
  assert.match(page.url(), /\/login$/);

  await page.fill('#password', 'demo-password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  assert.ok(await page.getByText('Ирина Соколова').isVisible());
  assert.equal(new URL(page.url()).pathname, '/');
  assert.ok(await page.getByText('Автосервис Север').isVisible());
  await page.screenshot({ path: `${ARTIFACTS}/home-desktop.png`, fullPage: true });

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'ac_session');
  assert.ok(session, 'session cookie set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');

  await page.getByRole('button', { name: 'Выйти' }).click();
  await page.waitForURL(/\/login$/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the login form works before the WASM loads (JavaScript disabled)', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/login`);
  await page.fill('#email', 'admin@garage24.demo');
  await page.fill('#password', 'demo-password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  assert.ok(await page.getByText('Гараж 24').first().isVisible());
  await context.close();
});

test('the web login is rate-limited like the API: the 6th attempt a minute is refused', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/login`);
  await waitForHydration(page);
  await page.fill('#email', 'guesser@sever.demo');
  for (let i = 0; i < 5; i++) {
    await page.fill('#password', `wrong-${i}`);
    await page.click('button[type=submit]');
    await page.getByRole('alert').filter({ hasText: 'Неверный e-mail или пароль' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('button[type=submit]').disabled);
  }
  await page.fill('#password', 'wrong-5');
  await page.click('button[type=submit]');
  await page.getByRole('alert').filter({ hasText: 'Слишком много попыток входа' }).waitFor();
  await page.context().close();
});
