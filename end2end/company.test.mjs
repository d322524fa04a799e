// The company's settings in Chromium: an admin names the bays of a shop on the Точки page and
// the calendar's columns carry the names; the reminders before a visit are changed in Settings
// (also before the WASM loads), a manager only reads them. Everything here is Гараж 24's, which
// no other browser test changes, and is put back at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api, workingDay } from './api.mjs';

const ADMIN = 'admin@garage24.demo';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an admin names the bays of a shop and the calendar shows the names', async () => {
  const token = await apiToken(ADMIN);
  const [shop] = (await api(token, 'GET', '/shops/')).body;
  const page = await openPage(browser);
  try {
    await logIn(page, ADMIN);
    await page.goto(`${BASE_URL}/shops`);
    await waitForHydration(page);
    await page.getByRole('region', { name: shop.name }).getByRole('link', { name: /Изменить/ }).click();
    const form = page.getByRole('region', { name: `Изменить: ${shop.name}` });
    await form.getByLabel('Названия постов').fill('Подъёмник\nРазвал-схождение');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    const names = page.getByRole('region', { name: shop.name }).getByTestId('bay-names');
    await names.filter({ hasText: 'Посты: Подъёмник, Развал-схождение' }).waitFor();
    assert.deepEqual((await api(token, 'GET', `/shops/${shop.id}`)).body.bay_names, ['Подъёмник', 'Развал-схождение']);

    // Too long a name is refused in place.
    await page.getByRole('region', { name: shop.name }).getByRole('link', { name: /Изменить/ }).click();
    await form.getByLabel('Названия постов').fill('Подъёмник для грузовых микроавтобусов и фургонов');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await form.getByRole('alert').filter({ hasText: 'длиннее 40 символов' }).waitFor();
    await form.getByRole('link', { name: 'Отмена' }).click();

    const day = workingDay(40);
    await page.goto(`${BASE_URL}/calendar?shop=${shop.id}&date=${day}&view=day`);
    await waitForHydration(page);
    const column = (bay) => page.locator(`[data-day="${day}"] [data-bay="${bay}"]`);
    assert.equal((await column(1).locator('[title]').first().textContent()).trim(), 'Подъёмник');
    assert.equal((await column(2).locator('[title]').first().textContent()).trim(), 'Развал-схождение');
    await screenshots(page, 'calendar-bay-names');

    // The week's narrow columns keep the number, with the name as the tooltip.
    await page.goto(`${BASE_URL}/calendar?shop=${shop.id}&date=${day}&view=week`);
    const header = column(1).locator('[title="Подъёмник"]');
    assert.equal((await header.textContent()).trim(), 'П1');
    assert.deepEqual(page.errors, []);
  } finally {
    await api(token, 'PATCH', `/shops/${shop.id}`, { bay_names: [] });
    await page.context().close();
  }
});

test('an admin changes the reminders in Settings; a manager only reads the company settings', async () => {
  const token = await apiToken(ADMIN);
  const page = await openPage(browser);
  try {
    await logIn(page, ADMIN);
    await page.goto(`${BASE_URL}/settings`);
    await waitForHydration(page);
    const company = page.getByRole('region', { name: 'Компания' });
    assert.equal(await company.getByLabel('Название').inputValue(), 'Гараж 24');
    assert.equal(await company.getByLabel('Часовой пояс').inputValue(), 'Europe/Moscow');
    const reminders = company.getByLabel('За сколько часов напоминать');
    assert.equal(await reminders.inputValue(), '24, 2');

    await reminders.fill('0');
    await company.getByRole('button', { name: 'Сохранить' }).click();
    await company.getByRole('alert').filter({ hasText: 'от 1 до 720' }).waitFor();

    await reminders.fill('3, 48, 3');
    await company.getByRole('button', { name: 'Сохранить' }).click();
    await company.getByRole('status').filter({ hasText: 'Сохранено' }).waitFor();
    assert.deepEqual((await api(token, 'GET', '/tenant')).body.reminder_hours, [48, 3]);
    await page.waitForFunction(() => document.querySelector('#company-reminders')?.value === '48, 3');
    await screenshots(page, 'settings-company');

    // Empty: no reminders at all.
    // The field reads '' as soon as it is filled, so the save is awaited on the server's side.
    await company.getByLabel('За сколько часов напоминать').fill('');
    await company.getByRole('button', { name: 'Сохранить' }).click();
    const saved = Date.now();
    let hours = (await api(token, 'GET', '/tenant')).body.reminder_hours;
    while (hours.length > 0 && Date.now() - saved < 10000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      hours = (await api(token, 'GET', '/tenant')).body.reminder_hours;
    }
    assert.deepEqual(hours, []);
    await page.waitForFunction(() => document.querySelector('#company-reminders')?.value === '');
    assert.deepEqual(page.errors, []);
  } finally {
    await api(token, 'PATCH', '/tenant', { reminder_hours: [24, 2] });
    await page.context().close();
  }

  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  await manager.goto(`${BASE_URL}/settings`);
  const values = manager.getByRole('region', { name: 'Компания' });
  await values.getByText('Автосервис Север').waitFor();
  assert.match(await values.textContent(), /Москва \(МСК\)/);
  assert.match(await values.textContent(), /за 24, 2 ч до визита/);
  assert.equal(await values.getByRole('textbox').count(), 0);
  await manager.context().close();
});

test('the company form works before the WASM loads (JavaScript disabled)', async () => {
  const token = await apiToken(ADMIN);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    await page.goto(`${BASE_URL}/login`);
    await page.fill('#email', ADMIN);
    await page.fill('#password', 'demo-password');
    await page.click('button[type=submit]');
    await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
    await page.goto(`${BASE_URL}/settings`);
    const company = page.getByRole('region', { name: 'Компания' });
    await company.getByLabel('За сколько часов напоминать').fill('12');
    await company.getByRole('button', { name: 'Сохранить' }).click();
    await page.waitForLoadState();
    assert.deepEqual((await api(token, 'GET', '/tenant')).body.reminder_hours, [12]);
    assert.equal(await page.getByRole('region', { name: 'Компания' }).getByLabel('За сколько часов напоминать').inputValue(), '12');
  } finally {
    await api(token, 'PATCH', '/tenant', { reminder_hours: [24, 2] });
    await context.close();
  }
});

test('an admin lists the jobs the shop does not take; the concierge declines them', async () => {
  const token = await apiToken(ADMIN);
  const page = await openPage(browser);
  try {
    await logIn(page, ADMIN);
    await page.goto(`${BASE_URL}/settings`);
    const section = page.getByRole('region', { name: 'Чем мы не занимаемся' });
    const field = section.getByLabel('Работы, которые мы не выполняем');
    assert.equal(await field.inputValue(), '');
    await field.fill('покраска\n\nкузовной ремонт\n');
    await section.getByRole('button', { name: 'Сохранить' }).click();
    await page.waitForFunction(
      () => document.querySelector('#declined-jobs')?.value === 'покраска\nкузовной ремонт',
    );
    assert.deepEqual((await api(token, 'GET', '/tenant')).body.declined_jobs, ['покраска', 'кузовной ремонт']);
    const answer = await api(token, 'POST', '/concierge/analyze', { text: 'Нужна покраска бампера' });
    assert.deepEqual(answer.body.declined, ['покраска']);
    assert.deepEqual(answer.body.services, []);
    // A job of two letters is refused in place, the text kept.
    await field.fill('ой');
    await section.getByRole('button', { name: 'Сохранить' }).click();
    await section.getByRole('alert').filter({ hasText: 'хотя бы из трёх букв' }).waitFor();
    assert.equal(await field.inputValue(), 'ой');
    assert.deepEqual(page.errors, []);
  } finally {
    await api(token, 'PATCH', '/tenant', { declined_jobs: [] });
    await page.context().close();
  }
});
