// The bot conversation on the client card: the transcript section and the reply form, whose
// refusal (no bot connected in the demo, or a client who never wrote to it) is shown in place.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, waitForHydration, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the client card shows the bot conversation and a reply refused in place', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/clients`);
  const first = page.getByRole('list', { name: 'Найденные клиенты' }).getByRole('link').first();
  await first.click();
  const chat = page.getByRole('region', { name: 'Переписка в Telegram' });
  await chat.waitFor();
  await chat.getByText('Клиент ещё не писал боту.').waitFor();
  await waitForHydration(page);
  await chat.getByLabel('Ответ клиенту (уйдёт через бота)').fill('Добрый день! Машина готова.');
  await chat.getByRole('button', { name: 'Отправить в Telegram' }).click();
  const refusal = chat.getByRole('alert');
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /не писал боту|не подключён/);
  // A refusal is the server's answer (400), not a script error.
  assert.deepEqual(page.errors.filter((e) => !e.startsWith('400')), []);
  await page.context().close();
});
