// Staff accounts in Chromium: an admin switches a manager off in Settings; the manager's open
// session loses access at once and stays out after being switched back on (a new login works).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a deactivated manager loses their open session; the last admin cannot be demoted', async () => {
  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/settings`);
  await waitForHydration(admin);
  const staff = admin.getByRole('list', { name: 'Сотрудники компании' });
  const row = staff.getByRole('listitem').filter({ hasText: 'manager@sever.demo' });
  assert.match(await row.textContent(), /Последний вход: \d\d\.\d\d\.\d{4}/);

  // The only admin stays one: refused with the reason, in place.
  await staff.getByRole('button', { name: 'Сделать менеджером admin@sever.demo' }).click();
  const refusal = admin.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /последний активный администратор/);

  await row.getByRole('button', { name: /Отключить/ }).click();
  await row.getByText('(отключён)').waitFor();
  await screenshots(admin, 'settings-staff');

  // The manager's next step finds no session.
  await manager.goto(`${BASE_URL}/calendar`);
  await manager.waitForURL(/\/login/);

  // Switched back on: the old session stays dead, a new login works.
  await row.getByRole('button', { name: /Включить/ }).click();
  await row.getByText('(отключён)').waitFor({ state: 'detached' });
  await manager.goto(`${BASE_URL}/calendar`);
  await manager.waitForURL(/\/login/);
  await logIn(manager, 'manager@sever.demo');
  const token = await apiToken('manager@sever.demo');
  assert.equal((await api(token, 'GET', '/users/me')).status, 200);
  assert.deepEqual(admin.errors, []);
});
