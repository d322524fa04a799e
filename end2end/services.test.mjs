// The service form's concierge keywords and "offered in" (one shop or all), in Chromium: what is
// saved shows in the catalogue and decides which shop's booking form offers the service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, BASE_URL } from './browser.mjs';
import { apiToken, api, workingDay } from './api.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function bookingFormOffers(page, shopId, service) {
  await page.goto(`${BASE_URL}/calendar?shop=${shopId}&date=${workingDay(49)}`);
  await page.waitForSelector('[data-hydrated="true"]');
  await page.getByRole('button', { name: 'Записать: пост 1, 12:00' }).click();
  const form = page.getByRole('dialog', { name: /Новая запись/ });
  await form.waitFor();
  const offered = await form.getByRole('checkbox', { name: new RegExp(service) }).count();
  await form.getByRole('button', { name: 'Закрыть' }).click();
  return offered === 1;
}

test('a service keeps its concierge keywords and is offered in one shop or in all', async () => {
  const token = await apiToken('admin@sever.demo');
  const shops = (await api(token, 'GET', '/shops/')).body;
  const [main, other] = shops;
  assert.ok(other, 'the demo company has two shops');

  const admin = await openPage(browser);
  await logIn(admin, 'admin@sever.demo');
  await admin.goto(`${BASE_URL}/services`);
  await admin.waitForSelector('[data-hydrated="true"]');
  const form = admin.getByRole('region', { name: 'Новая услуга' });
  await form.getByLabel('Название').fill('Диагностика скрипа');
  await form.getByLabel('Категория').fill('Подвеска');
  await form.getByLabel('Цена, ₽').fill('900');
  await form.getByLabel('Минут').fill('30');
  await form.getByLabel('Слова и симптомы для консьержа').fill('скрип, скрипит на кочках');
  await form.getByLabel('Где оказывается').selectOption({ label: other.name });
  await form.getByRole('button', { name: 'Добавить услугу' }).click();
  const row = admin.getByRole('list', { name: 'Каталог услуг' }).getByRole('listitem').filter({ hasText: 'Диагностика скрипа' });
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(`только: ${other.name}`));
  assert.match(await row.textContent(), /Слова для консьержа: скрип, скрипит на кочках/);

  // Saved as the API shows it.
  const saved = (await api(token, 'GET', '/services/?limit=500')).body.find((s) => s.name === 'Диагностика скрипа');
  assert.equal(saved.shop_id, other.id);
  assert.equal(saved.keywords, 'скрип, скрипит на кочках');

  // Only that shop's booking form offers it.
  assert.equal(await bookingFormOffers(admin, other.id, 'Диагностика скрипа'), true);
  assert.equal(await bookingFormOffers(admin, main.id, 'Диагностика скрипа'), false);

  // Offered everywhere after an edit; the form opens with what was saved.
  await admin.goto(`${BASE_URL}/services`);
  await admin.waitForSelector('[data-hydrated="true"]');
  await admin.getByRole('link', { name: 'Изменить Диагностика скрипа' }).click();
  const edit = admin.getByRole('region', { name: 'Изменить: Диагностика скрипа' });
  assert.equal(await edit.getByLabel('Слова и симптомы для консьержа').inputValue(), 'скрип, скрипит на кочках');
  assert.equal(await edit.getByLabel('Где оказывается').inputValue(), String(other.id));
  await edit.getByLabel('Где оказывается').selectOption({ label: 'Во всех точках' });
  await edit.getByRole('button', { name: 'Сохранить' }).click();
  // The list reloads after the save: the row loses its «только:».
  await admin.getByRole('list', { name: 'Каталог услуг' }).getByRole('listitem')
    .filter({ hasText: 'Диагностика скрипа' }).filter({ hasNotText: 'только:' }).waitFor();
  assert.equal(await bookingFormOffers(admin, main.id, 'Диагностика скрипа'), true);
  assert.deepEqual(admin.errors, []);
  await admin.context().close();
});
