// Settings in Chromium: the Telegram bot connected by token against a fake Bot API (the token is
// never shown back), the AI provider and its check; managers are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

test('the AI provider is shown from the configuration and «Проверить» runs the concierge', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/settings`);
  await page.waitForSelector('[data-hydrated="true"]');
  const ai = page.getByRole('region', { name: 'ИИ-консьерж' });
  // scripts/e2e.sh configures no LLM: the built-in rules answer.
  assert.match(await ai.getByTestId('ai-engine').textContent(), /Встроенные правила/);
  await ai.getByRole('button', { name: 'Проверить' }).click();
  const result = ai.getByTestId('ai-check');
  await result.waitFor();
  assert.match(await result.textContent(), /Ответил: встроенные правила за \d+ мс/);
  assert.match(await result.textContent(), /Намерение: запись/);
  assert.match(await result.textContent(), /Услуги: /);
  await screenshots(page, 'settings-ai');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a manager can neither see nor call the bot and AI settings', async () => {
  const manager = await openPage(browser);
  await logIn(manager, 'manager@sever.demo');
  const response = await manager.goto(`${BASE_URL}/settings`);
  assert.equal(response.status(), 403);
  assert.equal(await manager.getByLabel('Токен бота').count(), 0);
  assert.equal(await manager.getByRole('button', { name: 'Проверить' }).count(), 0);
  const cookie = (await manager.context().cookies()).find((c) => c.name === 'ac_session');
  for (const [endpoint, body] of [['connect_bot', `token=${encodeURIComponent(GOOD_TOKEN)}`], ['check_ai', ''], ['disconnect_bot', '']]) {
    const refused = await fetch(`${BASE_URL}/api/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `ac_session=${cookie.value}` },
      body,
    });
    assert.equal(refused.status, 403, endpoint);
  }
  await manager.context().close();
});
