// The staff pages in Chromium against the demo data: dashboard, calendar, clients, settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, BASE_URL, screenshots } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

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

// A working day (Mon–Sat) three weeks ahead: past the demo week, so the grid is empty.
function freeDay() {
  const day = new Date(Date.now() + 21 * 86400000);
  if (day.getUTCDay() === 0) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

test('a visit booked from the calendar appears live in another browser and changes status', async () => {
  const date = freeDay();
  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/calendar?date=${date}`);
  await admin.waitForSelector('[data-hydrated="true"]');
  const watcher = await openPage(browser);
  await logIn(watcher, 'manager@sever.demo');
  await watcher.goto(`${BASE_URL}/calendar?date=${date}`);
  await watcher.waitForSelector('[data-hydrated="true"]');
  await watcher.waitForTimeout(500);

  await admin.getByRole('button', { name: 'Записать: пост 1, 10:00' }).click();
  const form = admin.getByRole('dialog', { name: /Новая запись: пост 1, 10:00/ });
  await form.getByLabel('Имя', { exact: true }).fill('Пётр Календарёв');
  await form.getByLabel('Телефон', { exact: true }).fill('+7 999 123-45-67');
  await form.getByRole('checkbox').first().check();
  assert.doesNotMatch(await form.getByTestId('booking-total').textContent(), /Итого: 0 мин/);
  await screenshots(admin, 'calendar-booking');
  await form.getByRole('button', { name: 'Записать', exact: true }).click();
  await form.waitFor({ state: 'detached' });
  const card = admin.locator('[data-visit]', { hasText: 'Пётр Календарёв' });
  await card.waitFor();
  assert.equal(await card.getAttribute('data-status'), 'new');

  // The other browser sees it without a reload.
  const seen = watcher.locator('[data-visit]', { hasText: 'Пётр Календарёв' });
  await seen.waitFor({ timeout: 10000 });

  // A four-hour job from 09:30 on the same bay runs into that visit: the conflict is shown in the form.
  await admin.getByRole('button', { name: 'Записать: пост 1, 09:30' }).click();
  const early = admin.getByRole('dialog', { name: /Новая запись: пост 1, 09:30/ });
  await early.getByLabel('Имя', { exact: true }).fill('Анна Вторая');
  await early.getByLabel('Телефон', { exact: true }).fill('+7 999 765-43-21');
  await early.getByRole('checkbox', { name: /Замена ремня ГРМ/ }).check();
  await early.getByRole('button', { name: 'Записать', exact: true }).click();
  await early.getByRole('alert').filter({ hasText: 'Пост 1 занят в это время' }).waitFor();
  await early.getByRole('button', { name: 'Закрыть' }).click();

  await card.click();
  const panel = admin.getByRole('dialog', { name: /Запись №/ });
  assert.equal(await panel.getByTestId('visit-status').textContent(), 'Новая');
  await panel.getByRole('button', { name: 'Подтвердить' }).click();
  await panel.getByTestId('visit-status').filter({ hasText: 'Подтверждена' }).waitFor();
  await screenshots(admin, 'calendar-visit');
  await watcher.locator('[data-visit][data-status="confirmed"]', { hasText: 'Пётр Календарёв' }).waitFor({ timeout: 10000 });

  assert.deepEqual(admin.errors, []);
  assert.deepEqual(watcher.errors, []);
  await admin.context().close();
  await watcher.context().close();
});

test('the client booked from the calendar is found, with the visit in the history and editable notes', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  // Sections are separate pages: wait for the new one's islands before typing.
  await page.getByRole('navigation', { name: 'Разделы' }).getByRole('link', { name: 'Клиенты' }).click();
  await page.getByRole('heading', { name: 'Клиенты', exact: true }).waitFor();
  await waitForHydration(page);
  await page.getByLabel('Поиск по имени, телефону, госномеру или VIN').fill('Календар');
  const found = page.getByRole('list', { name: 'Найденные клиенты' }).getByRole('link');
  // The newest clients are listed before the search; wait for the search's own answer.
  for (let i = 0; i < 100 && (await found.count()) !== 1; i++) await page.waitForTimeout(100);
  assert.equal(await found.count(), 1);
  assert.match(await found.first().textContent(), /Пётр Календарёв/);
  await screenshots(page, 'clients');

  await found.first().click();
  await page.getByRole('heading', { name: 'Пётр Календарёв' }).waitFor();
  await waitForHydration(page);
  const history = page.getByRole('region', { name: 'История визитов' });
  await history.getByText('Подтверждена').waitFor();
  assert.match(await history.textContent(), /Заправка кондиционера/);

  // Saved, the card is rendered again with what was saved.
  await page.getByLabel('Заметки', { exact: true }).fill('Просит звонить после 18:00');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Сохранить', exact: true }).click(),
  ]);
  await waitForHydration(page);
  assert.equal(await page.getByLabel('Заметки', { exact: true }).inputValue(), 'Просит звонить после 18:00');
  await screenshots(page, 'client-card');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the client search keeps its words: from the address, and typed before the page came alive', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  const field = page.getByLabel('Поиск по имени, телефону, госномеру или VIN');
  const found = page.getByRole('list', { name: 'Найденные клиенты' }).getByRole('link');

  // A shared link: the server renders the query in the field and its results.
  await page.goto(`${BASE_URL}/clients?q=${encodeURIComponent('Календар')}`);
  assert.equal(await field.inputValue(), 'Календар');
  assert.equal(await found.count(), 1);
  assert.match(await found.first().textContent(), /Пётр Календарёв/);

  // A slow connection: the words are typed while the WASM is still on its way.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  // Not waiting for `load`: the page's script is still waiting for the WASM.
  await page.goto(`${BASE_URL}/clients`, { waitUntil: 'domcontentloaded' });
  assert.equal(await page.locator('[data-hydrated="true"]').count(), 0);
  await field.fill('Календар');
  release();
  await waitForHydration(page);
  for (let i = 0; i < 100 && (await found.count()) !== 1; i++) await page.waitForTimeout(100);
  assert.equal(await field.inputValue(), 'Календар');
  assert.equal(await found.count(), 1);
  assert.match(await found.first().textContent(), /Пётр Календарёв/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('an admin adds a staff member; a manager cannot open the staff settings', async () => {
  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/settings`);
  await admin.getByRole('heading', { name: 'Сотрудники' }).waitFor();
  await admin.waitForSelector('[data-hydrated="true"]');
  await admin.getByLabel('Имя', { exact: true }).fill('Олег Новиков');
  await admin.getByLabel('E-mail', { exact: true }).fill('oleg@sever.demo');
  await admin.getByLabel('Роль', { exact: true }).selectOption('manager');
  await admin.getByLabel('Пароль', { exact: true }).fill('another-password');
  await admin.getByRole('button', { name: 'Добавить' }).click();
  await admin.getByRole('status').filter({ hasText: 'Сотрудник добавлен' }).waitFor();
  await admin.getByRole('region', { name: 'Сотрудники' }).getByRole('listitem').filter({ hasText: 'oleg@sever.demo' }).waitFor();
  await screenshots(admin, 'settings');
  assert.deepEqual(admin.errors, []);
  await admin.context().close();

  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  const response = await manager.goto(`${BASE_URL}/settings`);
  assert.equal(response.status(), 403);
  await manager.getByRole('heading', { name: 'Недостаточно прав' }).waitFor();
  assert.equal(await manager.getByLabel('Пароль', { exact: true }).count(), 0);
  await screenshots(manager, 'settings-manager');
  await manager.context().close();
});

test('an admin keeps the service catalogue, with validation in place; a manager only reads it', async () => {
  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/services`);
  await admin.waitForSelector('[data-hydrated="true"]');
  const form = admin.getByRole('region', { name: 'Новая услуга' });
  await form.getByLabel('Название').fill('Мойка двигателя');
  await form.getByLabel('Категория').fill('Уход');
  await form.getByLabel('Цена, ₽').fill('-5');
  await form.getByLabel('Минут').fill('40');
  await form.getByRole('button', { name: 'Добавить услугу' }).click();
  await form.getByRole('alert').filter({ hasText: 'Цена не может быть отрицательной' }).waitFor();
  await form.getByLabel('Цена, ₽').fill('1 500,50');
  await form.getByRole('button', { name: 'Добавить услугу' }).click();
  const catalogue = admin.getByRole('list', { name: 'Каталог услуг' });
  const row = catalogue.getByRole('listitem').filter({ hasText: 'Мойка двигателя' });
  await row.waitFor();
  assert.match(await row.textContent(), /40 мин · 1500\.5/);
  await screenshots(admin, 'services');

  await row.getByRole('link', { name: 'Изменить Мойка двигателя' }).click();
  const edit = admin.getByRole('region', { name: 'Изменить: Мойка двигателя' });
  await edit.getByLabel('Цена, ₽').fill('1800');
  await edit.getByRole('button', { name: 'Сохранить' }).click();
  await catalogue.getByRole('listitem').filter({ hasText: '1800' }).filter({ hasText: 'Мойка двигателя' }).waitFor();

  await row.getByRole('button', { name: 'Удалить Мойка двигателя' }).click();
  await row.waitFor({ state: 'detached' });
  assert.deepEqual(admin.errors, []);
  await admin.context().close();

  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  await manager.goto(`${BASE_URL}/services`);
  await manager.getByRole('list', { name: 'Каталог услуг' }).waitFor();
  assert.equal(await manager.getByRole('button', { name: /Удалить/ }).count() + await manager.getByRole('link', { name: /Изменить/ }).count(), 0);
  assert.equal(await manager.getByRole('region', { name: 'Новая услуга' }).count(), 0);
  await manager.context().close();
});

test('an admin adds and removes a shop, with hours checked in place; a shop with visits stays', async () => {
  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/shops`);
  await admin.waitForSelector('[data-hydrated="true"]');
  const form = admin.getByRole('region', { name: 'Новая точка' });
  await form.getByLabel('Название').fill('Север в Мытищах');
  await form.getByLabel('Вторник').fill('с девяти');
  await form.getByRole('button', { name: 'Добавить точку' }).click();
  await form.getByRole('alert').filter({ hasText: 'Вторник: укажите часы как 09:00-20:00' }).waitFor();
  await form.getByLabel('Вторник').fill('08:00-21:00');
  await form.getByRole('button', { name: 'Добавить точку' }).click();
  const added = admin.getByRole('region', { name: 'Север в Мытищах' });
  await added.waitFor();
  assert.match(await added.textContent(), /08:00-21:00/);
  await screenshots(admin, 'shops');

  await admin.getByRole('region', { name: 'Север на Ленинградке' }).getByRole('button', { name: /Удалить/ }).click();
  await admin.getByRole('alert').filter({ hasText: 'У точки есть записи' }).waitFor();
  await added.getByRole('button', { name: /Удалить/ }).click();
  await added.waitFor({ state: 'detached' });
  await admin.context().close();

  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  await manager.goto(`${BASE_URL}/shops`);
  await manager.getByRole('region', { name: 'Север на Ленинградке' }).waitFor();
  assert.equal(await manager.getByRole('button', { name: /Удалить/ }).count() + await manager.getByRole('link', { name: /Изменить/ }).count(), 0);
  await manager.context().close();
});
