// The front desk's client work in Chromium: a walk-in's card with a car by VIN, a refused VIN
// shown in place, a car corrected, the contacts edited, and the card found by its VIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a receptionist creates a client with a car by VIN, corrects it and finds it by VIN', async () => {
  const page = await openPage(browser);
  await logIn(page, 'manager@sever.demo');
  await page.goto(`${BASE_URL}/clients`);
  await waitForHydration(page);

  await page.locator('summary', { hasText: 'Новый клиент' }).click();
  await page.getByLabel('Имя', { exact: true }).fill('Белов Кирилл');
  await page.getByLabel('Телефон', { exact: true }).fill('+7 916 555-44-33');
  await page.getByLabel('Марка', { exact: true }).fill('Skoda');
  await page.getByLabel('Модель', { exact: true }).fill('Octavia');
  await page.getByLabel('VIN', { exact: true }).fill('tmbjj7ne8l0 123456');
  await page.getByLabel('Пробег, км', { exact: true }).fill('87 500');
  await page.getByRole('button', { name: 'Создать карточку' }).click();
  await page.waitForURL(/\/clients\/\d+$/);
  await waitForHydration(page);
  const clientId = Number(page.url().split('/').pop());

  await page.getByRole('heading', { name: 'Белов Кирилл' }).waitFor();
  const car = page.locator('[data-car]').first();
  assert.match(await car.textContent(), /Skoda Octavia/);
  assert.match(await car.textContent(), /VIN TMBJJ7NE8L0123456/);
  assert.match(await car.textContent(), /пробег 87500 км на \d\d\.\d\d\.\d{4}/);
  await screenshots(page, 'client-card');

  // A VIN with an O is refused in place; nothing is reloaded or lost.
  await page.locator('summary', { hasText: 'Добавить автомобиль' }).click();
  const add = page.locator('details[open]').filter({ has: page.getByRole('button', { name: 'Добавить автомобиль' }) });
  await add.getByLabel('Марка').fill('Lada');
  await add.getByLabel('VIN (17 знаков)').fill('XTA21099O12345678');
  await add.getByRole('button', { name: 'Добавить автомобиль' }).click();
  await add.getByRole('alert').waitFor();
  assert.match(await add.getByRole('alert').textContent(), /VIN: 17 символов/);
  assert.equal(await add.getByLabel('Марка').inputValue(), 'Lada');

  // The Skoda corrected: another model and a new reading.
  await car.locator('summary', { hasText: 'Изменить' }).click();
  await car.getByLabel('Модель').fill('Octavia A7');
  await car.getByLabel('Пробег, км').fill('91000');
  await car.getByLabel('На дату').fill('2026-11-30');
  await Promise.all([
    page.waitForNavigation(),
    car.getByRole('button', { name: 'Сохранить автомобиль' }).click(),
  ]);
  await waitForHydration(page);
  const corrected = page.locator('[data-car]').first();
  assert.match(await corrected.textContent(), /Skoda Octavia A7/);
  assert.match(await corrected.textContent(), /пробег 91000 км на 30\.11\.2026/);

  // Contacts: an e-mail added.
  await page.getByLabel('E-mail').fill('belov@example.com');
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Сохранить', exact: true }).click(),
  ]);
  await waitForHydration(page);
  assert.match(await page.locator('main').textContent(), /belov@example\.com/);

  // The API sees the same card.
  const token = await apiToken('manager@sever.demo');
  const detail = (await api(token, 'GET', `/clients/${clientId}`)).body;
  assert.equal(detail.phone, '+79165554433');
  assert.equal(detail.email, 'belov@example.com');
  assert.deepEqual(detail.vehicles.map((v) => [v.model, v.vin, v.mileage_km, v.mileage_read_on]),
    [['Octavia A7', 'TMBJJ7NE8L0123456', 91000, '2026-11-30']]);

  // Found by a piece of the VIN.
  await page.goto(`${BASE_URL}/clients?q=${encodeURIComponent('8l01234')}`);
  await waitForHydration(page);
  const found = page.getByRole('list', { name: 'Найденные клиенты' });
  await found.getByText('Белов Кирилл').waitFor();
  assert.deepEqual(page.errors, []);
});
