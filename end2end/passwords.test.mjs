// Staff passwords in Chromium: an admin resets a manager's forgotten password in Settings and
// sees the temporary one once; the manager logs in with it and must set their own before any
// staff page opens; later they change it again from Settings and stay logged in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function loginStatus(email, password) {
  const response = await fetch(`${BASE_URL}/api/v1/login/access-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }),
  });
  return response.status;
}

test('a reset password is shown once and leads its owner to set a new one first', async () => {
  // A manager of this test's own: the demo accounts other tests log in with stay as they are.
  const email = `forgetful-${Date.now()}@sever.demo`;
  const created = await api(await apiToken('admin@sever.demo'), 'POST', '/users', {
    email, password: 'first-password', full_name: 'Забывчивый Менеджер', role: 'manager',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const manager = await openPage(browser);
  await logIn(manager, email, 'first-password');

  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/settings`);
  await waitForHydration(admin);
  const staff = admin.getByRole('list', { name: 'Сотрудники компании' });
  // The admin's own password is changed knowing it, not reset.
  const own = staff.getByRole('listitem').filter({ hasText: 'admin@sever.demo' });
  assert.equal(await own.getByRole('button', { name: /Сбросить пароль/ }).count(), 0);
  const row = staff.getByRole('listitem').filter({ hasText: email });
  await row.getByRole('button', { name: `Сбросить пароль ${email}` }).click();
  const shown = row.getByTestId('temporary-password');
  await shown.waitFor();
  assert.match(await shown.textContent(), /Передайте сотруднику; при входе он задаст новый/);
  const temporary = (await shown.locator('code').textContent()).trim();
  assert.match(temporary, /^[A-HJKMNP-Za-hjkmnp-z2-9]{12}$/);
  await row.getByText('ждёт смены пароля').waitFor();
  await screenshots(admin, 'settings-password-reset');
  assert.equal(await loginStatus(email, 'first-password'), 400);

  // The manager's open session has ended.
  await manager.goto(`${BASE_URL}/calendar`);
  await manager.waitForURL(/\/login$/);
  // The temporary password logs in to the change of it, and every staff page sends back there.
  await waitForHydration(manager);
  await manager.fill('#email', email);
  await manager.fill('#password', temporary);
  await manager.click('button[type=submit]');
  await manager.waitForURL(/\/password$/);
  await manager.goto(`${BASE_URL}/clients`);
  await manager.waitForURL(/\/password$/);
  await manager.getByText('Администратор выдал вам временный пароль').waitFor();
  await waitForHydration(manager);
  await screenshots(manager, 'password-change-forced');

  const form = manager.getByRole('region', { name: 'Сменить пароль' });
  await form.getByLabel('Временный пароль').fill(temporary);
  await form.getByLabel('Новый пароль', { exact: true }).fill('my-own-password');
  await form.getByLabel('Новый пароль ещё раз').fill('my-own-passw0rd');
  await form.getByRole('button', { name: 'Сменить пароль' }).click();
  await form.getByRole('alert').filter({ hasText: 'не совпадают' }).waitFor();
  await form.getByLabel('Новый пароль ещё раз').fill('my-own-password');
  await form.getByRole('button', { name: 'Сменить пароль' }).click();
  await manager.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();

  // This session goes on; the new password opens the account, the temporary one no longer.
  await manager.goto(`${BASE_URL}/clients`);
  await manager.getByRole('heading', { name: 'Клиенты', exact: true }).waitFor();
  assert.equal(await loginStatus(email, temporary), 400);
  const token = await apiToken(email, { password: 'my-own-password' });
  assert.equal((await api(token, 'GET', '/users/me')).body.must_change_password, false);

  // Later, from Settings (a manager sees only this part of it): the other sessions end, this one stays.
  await manager.goto(`${BASE_URL}/settings`);
  await waitForHydration(manager);
  const again = manager.getByRole('region', { name: 'Сменить пароль' });
  await again.getByLabel('Текущий пароль').fill('my-own-password');
  await again.getByLabel('Новый пароль', { exact: true }).fill('my-newer-password');
  await again.getByLabel('Новый пароль ещё раз').fill('my-newer-password');
  await again.getByRole('button', { name: 'Сменить пароль' }).click();
  await again.getByRole('status').filter({ hasText: 'Пароль изменён' }).waitFor();
  assert.equal((await api(token, 'GET', '/users/me')).status, 401);
  await manager.goto(`${BASE_URL}/clients`);
  await manager.getByRole('heading', { name: 'Клиенты', exact: true }).waitFor();

  assert.deepEqual(admin.errors, []);
  assert.deepEqual(manager.errors, []);
});
