// Correcting visits from the calendar's panel: services, car, notes and the concierge's findings
// of a bot-booked visit, its timeline, booking with a new car and a note, and moving by dragging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, BASE_URL, screenshots } from './browser.mjs';
import { apiToken, api, workingDay, addDays, firstShopAndService, bookVisit } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a bot-booked visit gets other services, a car, a staff note and corrected findings; its timeline shows', async () => {
  const token = await apiToken('admin@sever.demo');
  const today = new Date().toISOString().slice(0, 10);
  const listed = await api(token, 'GET', `/appointments/?status=confirmed&date_from=${addDays(today, 1)}&date_to=${addDays(today, 7)}&limit=500`);
  const visit = listed.body.find((a) => a.source === 'telegram' && a.ai_analysis?.diagnoses?.length > 0);
  assert.ok(visit, 'a confirmed demo visit from Telegram with likely causes');
  const car = (await api(token, 'POST', `/clients/${visit.client_id}/vehicles`, { make: 'Lada', model: 'Granta', plate: 'Е321КХ77' })).body;

  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/calendar?shop=${visit.shop_id}&date=${visit.start_time.slice(0, 10)}&visit=${visit.id}`);
  await page.waitForSelector('[data-hydrated="true"]');
  const panel = page.getByRole('dialog', { name: `Запись № ${visit.id}` });
  const timeline = panel.getByTestId('visit-history');
  await timeline.getByText('Запись создана').waitFor();

  await panel.getByText('Изменить запись').click();
  const edit = panel.getByTestId('edit-visit');
  const services = edit.getByRole('checkbox');
  // One more service: the first one not booked yet.
  let added;
  for (let i = 0; i < await services.count(); i++) {
    if (!(await services.nth(i).isChecked())) { added = services.nth(i); break; }
  }
  await added.check();
  await edit.getByLabel('Автомобиль').selectOption({ label: 'Lada Granta · Е321КХ77' });
  await edit.getByLabel('Заметка сотрудника (клиент её не видит)').fill('Клиент просил позвонить за час');
  await edit.getByLabel('Вывод по обращению').fill('Стук в передней подвеске справа');
  await edit.getByLabel('Вероятные причины — по одной в строке').fill('Стойка стабилизатора\nШаровая опора');
  const saved = page.waitForResponse((r) => r.url().includes('/api/edit_visit'));
  await edit.getByRole('button', { name: 'Сохранить изменения' }).click();
  assert.equal((await saved).status(), 200);

  await panel.getByTestId('visit-staff-note').getByText('Клиент просил позвонить за час').waitFor();
  const edited = panel.getByTestId('visit-ai-edited');
  await edited.getByText('Шаровая опора').waitFor();
  await edited.getByText(/^Изменено сотрудником: .+, \d\d\.\d\d\.\d{4} \d\d:\d\d$/).waitFor();
  // The concierge's own analysis stays, folded away.
  await panel.getByTestId('visit-ai').getByText('Исходный разбор консьержа').click();
  await panel.getByTestId('visit-ai').getByText(/^Вероятная причина: /).first().waitFor();
  await panel.getByText('Lada Granta · Е321КХ77').first().waitFor();
  await screenshots(page, 'calendar-visit-edit');

  const after = (await api(token, 'GET', `/appointments/${visit.id}`)).body;
  assert.equal(after.vehicle_id, car.id);
  assert.equal(after.services.length, visit.services.length + 1);
  assert.ok(after.total_price > visit.total_price);
  assert.equal(after.staff_note, 'Клиент просил позвонить за час');
  assert.deepEqual(after.ai_edit.causes, ['Стойка стабилизатора', 'Шаровая опора']);
  assert.equal(after.ai_summary, visit.ai_summary);
  assert.ok(after.history.length >= 1);

  // A status change joins the timeline with who made it.
  await panel.getByRole('button', { name: 'Начать работу' }).click();
  await timeline.getByText('Подтверждена → В работе').waitFor();
  await timeline.getByText(/ · Админка$/).last().waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a walk-in is booked from a free slot with a new car and a note; a card is dragged to another time', async () => {
  const day = workingDay(49);
  const token = await apiToken('admin@sever.demo');
  const { shop, service } = await firstShopAndService(token);

  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/calendar?shop=${shop.id}&date=${day}`);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.getByRole('button', { name: 'Записать: пост 1, 11:00' }).click();
  const form = page.getByRole('dialog', { name: /^Новая запись: пост 1, 11:00/ });
  await form.getByLabel('Имя', { exact: true }).fill('Тимур Пешеходов');
  await form.getByLabel('Телефон', { exact: true }).fill('+7 916 100-00-31');
  await form.getByLabel('Новый автомобиль').check();
  await form.getByLabel('Марка').fill('Toyota');
  await form.getByLabel('Модель').fill('Camry');
  await form.getByLabel('Госномер').fill('о 555 оо 77');
  await form.getByLabel(new RegExp(`^${service.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).check();
  await form.getByLabel('Что беспокоит клиента').fill('Скрипит при торможении');
  await form.getByRole('button', { name: 'Записать', exact: true }).click();
  await form.waitFor({ state: 'detached' });
  const card = page.locator('[data-bay="1"] [data-visit]', { hasText: 'Тимур Пешеходов' });
  await card.getByText('Toyota Camry · О555ОО77').waitFor();
  const booked = (await api(token, 'GET', `/appointments/?shop_id=${shop.id}&date_from=${day}&date_to=${day}`)).body
    .find((a) => a.client.full_name === 'Тимур Пешеходов');
  assert.equal(booked.customer_note, 'Скрипит при торможении');
  assert.ok(booked.vehicle_id, 'the new car is the visit’s');

  // Dragged onto 15:00 of bay 2: moved there, the panel opens on it.
  await card.dragTo(page.locator('[data-bay="2"] [data-slot="15:00 2"]'));
  await page.locator('[data-bay="2"] [data-visit]', { hasText: 'Тимур Пешеходов' }).waitFor();
  const moved = (await api(token, 'GET', `/appointments/${booked.id}`)).body;
  assert.equal(moved.bay, 2);
  assert.equal(moved.start_time, `${day}T15:00:00+03:00`);
  await page.getByRole('dialog', { name: `Запись № ${booked.id}` }).getByTestId('visit-time').filter({ hasText: /15:00.*пост 2/ }).waitFor();

  // Onto 09:30 of bay 3, taken from 09:50: refused with the reason in the panel, nothing moves.
  await bookVisit(token, { shop, service, date: day, time: '09:50', bay: 3, name: 'Занятый Пост', phone: '+7 916 100-00-32' });
  await page.locator('[data-bay="3"] [data-visit]', { hasText: 'Занятый Пост' }).waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Закрыть' }).click();
  await page.locator('[data-bay="2"] [data-visit]', { hasText: 'Тимур Пешеходов' }).dragTo(page.locator('[data-bay="3"] [data-slot="09:30 3"]'));
  await page.getByRole('dialog', { name: `Запись № ${booked.id}` }).getByRole('alert').waitFor();
  assert.equal((await api(token, 'GET', `/appointments/${booked.id}`)).body.bay, 2);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
