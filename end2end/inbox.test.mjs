// The inbox in Chromium against a fake Telegram Bot API: a customer who asks for a person is
// marked and counted unread, a staff member takes the conversation over, the customer's next
// message arrives live with no bot answer, the staff reply goes out through the bot, and the
// conversation is handed back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, logIn, BASE_URL, screenshots } from './browser.mjs';
import { apiToken, api } from './api.mjs';
import { startFakeTelegram, GOOD_TOKEN } from './fake-telegram.mjs';

let browser;
let telegram;
before(async () => {
  const port = Number(process.env.FAKE_TELEGRAM_PORT);
  assert.ok(port, 'FAKE_TELEGRAM_PORT is set by scripts/e2e.sh');
  telegram = await startFakeTelegram(port);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await telegram?.close();
});

const customer = 5550001;

async function until(check, what, ms = 15000) {
  const started = Date.now();
  for (;;) {
    const found = check();
    if (found) return found;
    assert.ok(Date.now() - started < ms, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const sentTo = (since, text) => telegram.sent.slice(since).find((m) => Number(m.chat_id) === customer && m.text.includes(text));

test('a customer who asks for a person is taken over from the inbox; the bot stays silent meanwhile', async () => {
  const token = await apiToken('admin@sever.demo');
  const connected = await api(token, 'PUT', '/tenant/telegram', { bot_token: GOOD_TOKEN });
  assert.equal(connected.status, 200, JSON.stringify(connected.body));
  try {
    telegram.write(customer, 'Позовите, пожалуйста, менеджера', 'Ольга');
    await until(() => sentTo(0, 'Передал ваш вопрос сотрудникам'), 'the bot passes the question on');

    const page = await openPage(browser);
    await logIn(page, 'admin@sever.demo');
    const nav = page.getByRole('navigation', { name: 'Разделы' }).first();
    await nav.getByTestId('unread-badge').waitFor();
    await nav.getByRole('link', { name: /Входящие/ }).click();
    await page.waitForURL(/\/inbox/);
    await page.waitForSelector('[data-hydrated="true"]');
    const row = page.getByRole('list', { name: 'Разговоры' }).getByRole('button', { name: /Ольга/ });
    await row.getByText('нужен человек').waitFor();
    await row.getByTestId('unread').waitFor();
    await row.click();
    const open = page.getByTestId('open-conversation');
    await open.getByText('Позовите, пожалуйста, менеджера').waitFor();
    // Opened: read.
    await row.getByTestId('unread').waitFor({ state: 'detached' });

    let mark = telegram.sent.length;
    await open.getByRole('button', { name: 'Взять разговор' }).click();
    await until(() => sentTo(mark, 'На связи'), 'the customer is told a person answers');
    await open.getByText(/^Ведёт .+ до \d\d:\d\d$/).waitFor();
    await row.getByText('нужен человек').waitFor({ state: 'detached' });

    // The customer writes: it shows live; the bot says nothing.
    mark = telegram.sent.length;
    telegram.write(customer, 'Когда можно подъехать сегодня?', 'Ольга');
    await open.getByText('Когда можно подъехать сегодня?').waitFor();
    await open.getByLabel('Ответ клиенту (уйдёт через бота)').fill('Подъезжайте к 15:00, пост 2 свободен.');
    await open.getByRole('button', { name: 'Отправить в Telegram' }).click();
    await until(() => sentTo(mark, 'Подъезжайте к 15:00'), 'the staff reply reaches Telegram');
    await new Promise((r) => setTimeout(r, 1000));
    const toCustomer = telegram.sent.slice(mark).filter((m) => Number(m.chat_id) === customer).map((m) => m.text);
    assert.deepEqual(toCustomer, ['Подъезжайте к 15:00, пост 2 свободен.'], 'no bot answer while taken over');
    await screenshots(page, 'inbox');

    await open.getByRole('button', { name: 'Вернуть боту' }).click();
    await open.getByText('Отвечает бот-консьерж.').waitFor();
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    await api(token, 'DELETE', '/tenant/telegram');
  }
});
