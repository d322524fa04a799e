// Closures on the Точки page in Chromium: an admin closes a shop for a day that already has a
// visit; the page lists the visit to move, and the API offers no slots that day.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api, workingDay, firstShopAndService, bookVisit } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an admin closes a shop for a day: its visit is listed to move and its slots are gone', async () => {
  const token = await apiToken('admin@sever.demo');
  const { shop, service } = await firstShopAndService(token);
  const day = workingDay(61);
  const visit = await bookVisit(token, { shop, service, date: day, time: '11:00', name: 'Зимин Олег', phone: '+79995550123' });
  const slots = async () => (await api(token, 'GET', `/shops/${shop.id}/slots?date=${day}&service_ids=${service.id}`)).body;
  assert.ok((await slots()).length > 0);

  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/shops`);
  await waitForHydration(page);
  const section = page.getByRole('region', { name: 'Выходные и сокращённые дни' });
  await section.getByLabel('Точка').selectOption(String(shop.id));
  await section.getByLabel('День').fill(day);
  await section.getByLabel('Причина').fill('Санитарный день');
  await section.getByRole('button', { name: 'Добавить' }).click();

  const toMove = section.getByRole('status').filter({ hasText: 'перенесите' });
  await toMove.waitFor();
  const link = toMove.getByRole('link', { name: /11:00 Зимин Олег/ });
  assert.match(await link.getAttribute('href'), new RegExp(`visit=${visit.id}`));
  const list = section.getByRole('list', { name: 'Особые дни' });
  await list.getByText('Санитарный день').waitFor();
  assert.deepEqual(await slots(), []);
  await screenshots(page, 'closures');

  // Removed: the day is bookable again.
  const [y, m, d] = day.split('-');
  await list.getByRole('button', { name: new RegExp(`Удалить ${d}\\.${m}\\.${y}`) }).click();
  await list.getByText('Санитарный день').waitFor({ state: 'detached' });
  assert.ok((await slots()).length > 0);
  assert.deepEqual(page.errors, []);
});
