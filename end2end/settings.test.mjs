// Settings in Chromium: the Telegram bot connected by token against a fake Bot API (the token is
// never shown back), the company's AI engine (its own model against a fake OpenAI-compatible server,
// the key never shown back) and its check; managers are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, openPage, logIn, BASE_URL, screenshots } from './browser.mjs';
import { startFakeTelegram, GOOD_TOKEN, BOT_USERNAME } from './fake-telegram.mjs';

let browser;
let telegram;
before(async () => {
  const port = Number(process.env.FAKE_TELEGRAM_PORT);
  assert.ok(port, 'FAKE_TELEGRAM_PORT is set by scripts/e2e.sh (the server was started with TELEGRAM_API_URL on it)');
  telegram = await startFakeTelegram(port);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await telegram?.close();
});

test('an admin connects the Telegram bot by token: @username shown, the token never; then disconnects', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/settings`);
  await page.waitForSelector('[data-hydrated="true"]');
  const bot = page.getByRole('region', { name: 'Telegram-бот' });
  await bot.getByTestId('bot-status').filter({ hasText: 'Бот не подключён' }).waitFor();

  // Not a token at all: refused before any call to Telegram.
  await bot.getByLabel('Токен бота').fill('hello');
  await bot.getByRole('button', { name: 'Подключить' }).click();
  await bot.getByRole('alert').filter({ hasText: 'Токен бота выглядит иначе' }).waitFor();
  // (A bot disconnected by an earlier test may still be finishing its last long poll.)
  assert.equal(telegram.calls.filter((c) => c.method.toLowerCase() !== 'getupdates').length, 0);

  // A token Telegram does not know: its answer is shown.
  await bot.getByLabel('Токен бота').fill('7000000002:AAE-unknown_token_unknown_token_00');
  await bot.getByRole('button', { name: 'Подключить' }).click();
  await bot.getByRole('alert').filter({ hasText: 'Telegram не принял токен: Unauthorized' }).waitFor();

  await bot.getByLabel('Токен бота').fill(GOOD_TOKEN);
  await bot.getByRole('button', { name: 'Подключить' }).click();
  await bot.getByTestId('bot-status').filter({ hasText: `@${BOT_USERNAME}` }).waitFor();
  await bot.getByRole('status').filter({ hasText: `Бот @${BOT_USERNAME} подключён` }).waitFor();
  assert.ok(telegram.calls.some((c) => c.token === GOOD_TOKEN && c.method === 'getMe'));
  assert.equal(await bot.getByLabel('Новый токен бота').inputValue(), '', 'the field is emptied');
  // Connected: the form now offers to replace the token, not to connect again.
  await bot.getByRole('button', { name: 'Заменить токен' }).waitFor();
  assert.equal(await bot.getByRole('button', { name: 'Подключить' }).count(), 0);
  const secret = GOOD_TOKEN.split(':')[1];
  assert.ok(!(await page.content()).includes(secret), 'the token is not in the page');
  await screenshots(page, 'settings-bot');

  // After a reload the page still knows the bot, and still not its token.
  await page.reload();
  await page.getByRole('region', { name: 'Telegram-бот' }).getByTestId('bot-status').filter({ hasText: `@${BOT_USERNAME}` }).waitFor();
  assert.ok(!(await page.content()).includes(secret));
  await page.waitForSelector('[data-hydrated="true"]');
  await page.getByRole('region', { name: 'Telegram-бот' }).getByRole('button', { name: 'Заменить токен' }).waitFor();
  await page.getByRole('region', { name: 'Telegram-бот' }).getByRole('button', { name: 'Отключить бота' }).click();
  await page.getByRole('region', { name: 'Telegram-бот' }).getByTestId('bot-status').filter({ hasText: 'Бот не подключён' }).waitFor();
  await page.getByRole('region', { name: 'Telegram-бот' }).getByRole('button', { name: 'Подключить' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** A fake OpenAI-compatible chat server: answers every `/v1/chat/completions` with `content`
 *  and keeps each request's Authorization header and model. */
async function startFakeChat(content) {
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ authorization: req.headers.authorization, model: JSON.parse(body).model });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion', created: 1700000000, model: 'shop-model',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, requests, close: () => server.close() };
}

test('an admin gives the company its own model: saved with the key hidden, «Проверить» shows who answered', async () => {
  const chat = await startFakeChat(JSON.stringify({
    intent: 'booking', diagnoses: [{ title: 'Износ втулок стабилизатора', confidence: 0.8 }], services: [],
  }));
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/settings`);
  await page.waitForSelector('[data-hydrated="true"]');
  const ai = page.getByRole('region', { name: 'ИИ-консьерж' });
  // scripts/e2e.sh configures no LLM: the server's setting is the built-in rules.
  assert.match(await ai.getByTestId('ai-engine').textContent(), /настройка сервера \(встроенные правила\)/);
  await ai.getByRole('button', { name: 'Проверить' }).click();
  const result = ai.getByTestId('ai-check');
  await result.filter({ hasText: 'Ответил: встроенные правила' }).waitFor();
  assert.match(await result.textContent(), /Ответил: встроенные правила за \d+ мс/);
  assert.match(await result.textContent(), /Намерение: запись/);
  assert.match(await result.textContent(), /Услуги: /);

  // The company's own OpenAI-compatible model.
  assert.ok(!(await ai.getByLabel('API-ключ').isVisible()), 'no model fields for the server setting');
  await ai.getByLabel('Движок').selectOption('openai');
  await ai.getByLabel('Адрес API').fill(chat.url);
  await ai.getByLabel('Модель').fill('shop-model');
  await ai.getByLabel('API-ключ').fill('sk-e2e-company-secret');
  await ai.getByLabel('Время на ответ, секунд').fill('5');
  await ai.getByRole('button', { name: 'Сохранить настройки ИИ' }).click();
  await ai.getByRole('status').filter({ hasText: 'Настройки ИИ сохранены' }).waitFor();
  await ai.getByTestId('ai-engine').filter({ hasText: 'своя модель, OpenAI-совместимый API' }).waitFor();
  assert.equal(await ai.getByLabel('API-ключ').inputValue(), '', 'the key leaves the field');
  await ai.getByText('Ключ задан и хранится зашифрованным').waitFor();
  await ai.getByRole('button', { name: 'Проверить' }).click();
  await result.filter({ hasText: 'Ответил: LLM' }).waitFor();
  assert.match(await result.textContent(), /Причины: Износ втулок стабилизатора/);
  assert.deepEqual(chat.requests.at(-1), { authorization: 'Bearer sk-e2e-company-secret', model: 'shop-model' });
  await screenshots(page, 'settings-ai');

  // After a reload: the choice is kept, the key is not in the page.
  await page.reload();
  await page.waitForSelector('[data-hydrated="true"]');
  assert.ok(!(await page.content()).includes('sk-e2e-company-secret'));
  assert.equal(await ai.getByLabel('Движок').inputValue(), 'openai');
  assert.equal(await ai.getByLabel('Адрес API').inputValue(), chat.url);

  // A bad address is refused in place; back to the server's setting for the other tests.
  await ai.getByLabel('Адрес API').fill('ftp://example.com');
  await ai.getByRole('button', { name: 'Сохранить настройки ИИ' }).click();
  await ai.getByRole('alert').filter({ hasText: 'Адрес API' }).waitFor();
  await ai.getByLabel('Движок').selectOption('platform');
  await ai.getByRole('button', { name: 'Сохранить настройки ИИ' }).click();
  await ai.getByTestId('ai-engine').filter({ hasText: 'настройка сервера' }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
  chat.close();
});

test('a manager can neither see nor call the bot and AI settings', async () => {
  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  const response = await manager.goto(`${BASE_URL}/settings`);
  assert.equal(response.status(), 403);
  assert.equal(await manager.getByLabel('Токен бота').count(), 0);
  assert.equal(await manager.getByRole('button', { name: 'Проверить' }).count(), 0);
  const cookie = (await manager.context().cookies()).find((c) => c.name === 'ac_session');
  for (const [endpoint, body] of [['connect_bot', `token=${encodeURIComponent(GOOD_TOKEN)}`], ['check_ai', ''], ['disconnect_bot', ''], ['save_ai', 'engine=rules'], ['load_ai', '']]) {
    const refused = await fetch(`${BASE_URL}/api/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ac_session=${cookie.value}` },
      body,
    });
    assert.equal(refused.status, 403, endpoint);
  }
  await manager.context().close();
});
