// The calendar's week view and moving a visit from its card, in Chromium against the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, BASE_URL, screenshots } from './browser.mjs';
import { apiToken, api, workingDay, addDays, firstShopAndService, bookVisit } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const weekday = (date) => new Date(`${date}T12:00:00Z`).getUTCDay();

// Five weeks ahead: past the demo week and the other tests' days.
const day = workingDay(35);

test('the week view shows seven days with their visits, updates live and switches weeks', async () => {
  const token = await apiToken('admin@sever.demo');
  const { shop, service } = await firstShopAndService(token);
  await bookVisit(token, { shop, service, date: day, time: '10:00', bay: 1, name: 'Вера Недельная', phone: '+7 916 100-00-01' });

  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/calendar?date=${day}`);
  await admin.waitForSelector('[data-hydrated="true"]');
  await admin.getByRole('navigation', { name: 'Вид календаря' }).getByRole('link', { name: 'Неделя' }).click();
  await admin.waitForURL(/view=week/);
  await admin.locator('[data-day]').nth(6).waitFor();
  assert.equal(await admin.locator('[data-day]').count(), 7);
  assert.match(await admin.getByTestId('calendar-date').textContent(), /^\d\d\.\d\d – \d\d\.\d\d\.\d{4}$/);
  await admin.locator(`[data-day="${day}"] [data-bay="1"] [data-visit]`, { hasText: 'Вера Недельная' }).waitFor();

  // Another browser on the same week sees a visit booked elsewhere appear without a reload.
  const watcher = await openPage(browser);
  await logIn(watcher, 'manager@sever.demo');
  await watcher.goto(`${BASE_URL}/calendar?date=${day}&view=week`);
  await watcher.waitForSelector('[data-hydrated="true"]');
  await watcher.waitForTimeout(500);
  // Another working day of the same week (the demo shop is closed on Sundays).
  const other = weekday(day) === 6 ? addDays(day, -1) : addDays(day, 1);
  await bookVisit(token, { shop, service, date: other, time: '11:00', bay: 2, name: 'Глеб Живой', phone: '+7 916 100-00-02' });
  await watcher.locator(`[data-day="${other}"] [data-bay="2"] [data-visit]`, { hasText: 'Глеб Живой' }).waitFor({ timeout: 10000 });

  // A card opens the same panel as in the day view.
  await admin.locator('[data-visit]', { hasText: 'Вера Недельная' }).click();
  await admin.getByRole('dialog', { name: /Запись №/ }).getByText('Вера Недельная').waitFor();
  await screenshots(admin, 'calendar-week');
  await admin.getByRole('dialog', { name: /Запись №/ }).getByRole('button', { name: 'Закрыть' }).click();

  // An empty slot of the week grid books like the day view: the form names the day, and the
  // visit lands in that day's bay column here and in the other browser.
  await admin.locator(`[data-day="${day}"]`).getByRole('button', { name: /, пост 2, 15:00$/ }).click();
  const form = admin.getByRole('dialog', { name: /^Новая запись: пост 2, 15:00 \(/ });
  await form.getByLabel('Имя', { exact: true }).fill('Нина Из Недели');
  await form.getByLabel('Телефон', { exact: true }).fill('+7 916 100-00-09');
  await form.getByRole('checkbox').first().check();
  await form.getByRole('button', { name: 'Записать', exact: true }).click();
  await form.waitFor({ state: 'detached' });
  await admin.locator(`[data-day="${day}"] [data-bay="2"] [data-visit]`, { hasText: 'Нина Из Недели' }).waitFor();
  await watcher.locator(`[data-day="${day}"] [data-bay="2"] [data-visit]`, { hasText: 'Нина Из Недели' }).waitFor({ timeout: 10000 });
  const listed = await api(token, 'GET', `/appointments/?shop_id=${shop.id}&date_from=${day}&date_to=${day}`);
  const booked = listed.body.find((a) => a.client.full_name === 'Нина Из Недели');
  assert.equal(booked.bay, 2);
  assert.match(booked.start_time, /T15:00:00/);

  // Next week and back, then the day view of one day from its heading.
  const label = await admin.getByTestId('calendar-date').textContent();
  await admin.getByRole('link', { name: 'Следующая неделя' }).click();
  await admin.locator(`[data-day="${addDays(day, 7)}"]`).waitFor();
  assert.notEqual(await admin.getByTestId('calendar-date').textContent(), label);
  await admin.getByRole('link', { name: 'Предыдущая неделя' }).click();
  await admin.locator(`[data-day="${day}"]`).waitFor();
  await admin.locator(`[data-day="${day}"] a`).first().click();
  await admin.waitForURL(/view=day/);
  await admin.locator('[data-day]').nth(1).waitFor({ state: 'detached' });
  assert.equal(await admin.locator('[data-day]').count(), 1);
  await admin.locator('[data-visit]', { hasText: 'Вера Недельная' }).waitFor();

  assert.deepEqual(admin.errors, []);
  assert.deepEqual(watcher.errors, []);
  await admin.context().close();
  await watcher.context().close();
});

test('a visit is moved from its card: a taken bay is refused in place, a free time and bay are taken', async () => {
  const moveDay = workingDay(42);
  const token = await apiToken('admin@sever.demo');
  const { shop, service } = await firstShopAndService(token);
  const visit = await bookVisit(token, { shop, service, date: moveDay, time: '10:00', bay: 1, name: 'Марк Переносов', phone: '+7 916 100-00-03' });
  await bookVisit(token, { shop, service, date: moveDay, time: '10:00', bay: 2, name: 'Борис Занятый', phone: '+7 916 100-00-04' });

  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/calendar?date=${moveDay}`);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.locator('[data-visit]', { hasText: 'Марк Переносов' }).click();
  const panel = page.getByRole('dialog', { name: `Запись № ${visit.id}` });
  const move = panel.getByRole('region', { name: 'Перенести' });

  // Bay 2 is taken at 10:00: the conflict (409) is shown in the panel, nothing moves.
  await move.getByLabel('Пост').selectOption('2');
  const refused = page.waitForResponse((r) => r.url().includes('/api/move_visit'));
  await move.getByRole('button', { name: 'Перенести запись' }).click();
  assert.equal((await refused).status(), 409);
  await move.getByRole('alert').filter({ hasText: 'Пост 2 занят в это время' }).waitFor();
  assert.match(await panel.getByTestId('visit-time').textContent(), /10:00.*пост 1/);
  await screenshots(page, 'calendar-move-conflict');

  // 14:00 on bay 3 is free: the card moves there, and the API agrees.
  await move.getByLabel('Время').fill('14:00');
  await move.getByLabel('Пост').selectOption('3');
  await move.getByRole('button', { name: 'Перенести запись' }).click();
  await panel.getByTestId('visit-time').filter({ hasText: /14:00.*пост 3/ }).waitFor();
  await page.locator('[data-bay="3"] [data-visit]', { hasText: 'Марк Переносов' }).waitFor();
  const moved = (await api(token, 'GET', `/appointments/${visit.id}`)).body;
  assert.equal(moved.bay, 3);
  assert.equal(moved.start_time, `${moveDay}T14:00:00+03:00`);

  // Escape closes the card; the keyboard reopens it.
  await move.getByLabel('Время').press('Escape');
  await panel.waitFor({ state: 'detached' });
  await page.locator('[data-bay="3"] [data-visit]', { hasText: 'Марк Переносов' }).focus();
  await page.keyboard.press('Enter');
  await panel.waitFor();

  // To another day: the calendar follows the visit there.
  const nextDay = addDays(moveDay, weekday(moveDay) === 6 ? 2 : 1);
  await move.getByLabel('Дата').fill(nextDay);
  await move.getByLabel('Время').fill('09:00');
  await move.getByRole('button', { name: 'Перенести запись' }).click();
  await page.waitForURL(new RegExp(`date=${nextDay}`));
  await page.locator(`[data-day="${nextDay}"] [data-visit]`, { hasText: 'Марк Переносов' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a visit booked in Telegram shows the customer’s words and the concierge’s causes and suggestions', async () => {
  const token = await apiToken('admin@sever.demo');
  // The demo's Telegram visits carry the rules concierge's analysis of the customer's words.
  const today = new Date().toISOString().slice(0, 10);
  const listed = await api(token, 'GET', `/appointments/?date_from=${addDays(today, -7)}&date_to=${addDays(today, 7)}&limit=500`);
  assert.equal(listed.status, 200);
  const visit = listed.body.find((a) => a.source === 'telegram' && a.ai_analysis?.diagnoses?.length > 0);
  assert.ok(visit, 'a demo visit from Telegram with likely causes');
  const cause = visit.ai_analysis.diagnoses[0].title;

  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/calendar?shop=${visit.shop_id}&date=${visit.start_time.slice(0, 10)}&view=day`);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.locator(`[data-visit="${visit.id}"]`).click();
  const panel = page.getByRole('dialog', { name: /Запись №/ });
  await panel.getByText(`«${visit.customer_note}»`).waitFor();
  const ai = panel.getByTestId('visit-ai');
  const escaped = cause.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await ai.getByText(new RegExp(`^Вероятная причина: ${escaped} — \\d+\\s%$`)).waitFor();
  assert.ok((await ai.getByText(/^Предложено: /).count()) > 0, 'suggested services are listed');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
