// The staff pages in Chromium against the demo data: dashboard, calendar, clients, settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, BASE_URL, ARTIFACTS } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function screenshots(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${ARTIFACTS}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('a visitor without a session is sent to the login page', async () => {
  const response = await fetch(`${BASE_URL}/`, { redirect: 'manual', headers: { accept: 'text/html' } });
  assert.equal(response.status, 302);
  assert.match(response.headers.get('location'), /\/login$/);
});

test('the dashboard shows today in each demo shop and the new requests', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  for (const shop of ['Север на Ленинградке', 'Север в Химках']) {
    const card = page.getByRole('region', { name: shop });
    await card.waitFor();
    assert.match(await card.getByTestId('bay-load').textContent(), /^\d+\s%$/);
    assert.match(await card.getByTestId('revenue').textContent(), /₽$/);
  }
  const requests = page.locator('[data-request]');
  assert.ok((await requests.count()) > 0, 'the demo has new requests');
  await screenshots(page, 'dashboard');

  // One click confirms the first request; it leaves the list.
  const first = requests.first();
  const id = await first.getAttribute('data-request');
  await first.getByRole('button', { name: 'Подтвердить' }).click();
  await page.locator(`[data-request="${id}"]`).waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the dashboard of a second browser updates live when a request is confirmed elsewhere', async () => {
  const watcher = await openPage(browser);
  await logIn(watcher, 'manager@sever.demo');
  const actor = await openPage(browser);
  await logIn(actor, 'admin@sever.demo');
  // Give the watcher's event stream a moment to connect.
  await watcher.waitForTimeout(500);
  const id = await actor.locator('[data-request]').first().getAttribute('data-request');
  await watcher.locator(`[data-request="${id}"]`).waitFor();
  await actor.locator(`[data-request="${id}"]`).getByRole('button', { name: 'Подтвердить' }).click();
  await watcher.locator(`[data-request="${id}"]`).waitFor({ state: 'detached', timeout: 10000 });
  assert.deepEqual(watcher.errors, []);
  assert.deepEqual(actor.errors, []);
  await watcher.context().close();
  await actor.context().close();
});

test('a state-changing server function refuses a foreign Origin', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'ac_session');
  const response = await fetch(`${BASE_URL}/api/change_status`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `ac_session=${cookie.value}`,
      origin: 'https://evil.example',
    },
    body: 'id=1&status=confirmed',
  });
  assert.equal(response.status, 403);
  assert.match(await response.text(), /чужого сайта/);
  await page.context().close();
});
