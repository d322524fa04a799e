// Settings → Вебхуки in Chromium: an admin adds an endpoint for the company's CRM, copies the
// secret (shown until saved), sends a test event that a receiver here checks (HMAC-SHA256 of "t.body"),
// sees it in the delivery log, sends a refused one again with «Повторить», and removes the
// endpoint. A bad URL is refused in place with everything typed kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { launch, openPage, logIn, screenshots, BASE_URL } from './browser.mjs';
import { apiToken, api } from './api.mjs';

const ADMIN = 'admin@sever.demo';

let browser;
let receiver;
let receiverUrl;
const received = [];
const pings = () => received.filter((r) => r.type === 'ping');
let secret = '';
let failNext = 0;

before(async () => {
  browser = await launch();
  receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // The receiver's check, as the README shows it.
      const header = request.headers['x-concierge-signature'] ?? '';
      const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
      const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
      const verified = expected === parts.v1 && Math.abs(Date.now() / 1000 - Number(parts.t)) < 300;
      const type = request.headers['x-concierge-event'];
      // Other tests book visits meanwhile: their events come too, and are only kept.
      received.push({ type, body: JSON.parse(body), verified });
      if (type === 'ping' && failNext > 0) {
        failNext -= 1;
        response.writeHead(503).end('CRM на обслуживании');
      } else {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
      }
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks/concierge`;
});

after(async () => {
  await browser?.close();
  receiver?.close();
});

test('an admin adds a webhook, sees its secret once, sends a test event and repeats a refused one', async () => {
  const token = await apiToken(ADMIN);
  const page = await openPage(browser);
  try {
    await logIn(page, ADMIN);
    await page.goto(`${BASE_URL}/settings`);
    const section = page.getByRole('region', { name: 'Вебхуки' });

    // Not a URL: refused in the form, the description kept.
    await section.getByLabel('URL приёмника').fill('ftp://crm.example.ru/hook');
    await section.getByLabel('Описание').fill('amoCRM e2e');
    await section.getByRole('button', { name: 'Создать вебхук' }).click();
    await section.getByRole('alert').filter({ hasText: 'Адрес вебхука' }).waitFor();
    assert.equal(await section.getByLabel('Описание').inputValue(), 'amoCRM e2e');

    await section.getByLabel('URL приёмника').fill(receiverUrl);
    await section.getByLabel('Новая запись').check();
    await section.getByRole('button', { name: 'Создать вебхук' }).click();
    // The page comes back with the secret, shown until the admin has saved it.
    const shown = page.getByRole('region', { name: 'Вебхуки' }).locator('[data-webhook-secret]');
    await shown.waitFor();
    secret = (await shown.textContent()).trim();
    assert.match(secret, /^whsec_[0-9a-f]{48}$/);
    const card = page.getByRole('article', { name: `Вебхук ${receiverUrl}` });
    await card.getByText('События: appointment.created').waitFor();
    await card.getByText('Отправок ещё не было.').waitFor();
    await screenshots(page, 'settings-webhooks');

    // The test event: the receiver checks the signature; the log shows the answer.
    await card.getByRole('button', { name: 'Отправить тестовое событие' }).click();
    await page.getByRole('article', { name: `Вебхук ${receiverUrl}` }).getByRole('table').waitFor();
    const log = page.getByRole('article', { name: `Вебхук ${receiverUrl}` }).getByRole('table');
    await log.getByRole('cell', { name: /^200 · \d+ мс$/ }).waitFor();
    assert.equal(pings().length, 1);
    assert.ok(pings()[0].verified, 'the signature checks out with the secret shown');
    assert.equal(pings()[0].body.company.slug, 'sever');

    // Still there after a reload; once saved, never shown again; the API never shows it.
    await page.reload();
    await page.locator('[data-webhook-secret]').waitFor();
    await page.getByRole('button', { name: 'Секрет сохранён' }).click();
    await page.locator('[data-webhook-secret]').waitFor({ state: 'detached' });
    await page.reload();
    await page.getByRole('article', { name: `Вебхук ${receiverUrl}` }).waitFor();
    assert.equal(await page.locator('[data-webhook-secret]').count(), 0);
    const listed = await api(token, 'GET', '/webhooks');
    assert.ok(!JSON.stringify(listed.body).includes(secret));

    // The CRM is down for one request: the refusal is in the log; «Повторить» sends it again.
    failNext = 1;
    const endpoint = listed.body.find((e) => e.url === receiverUrl);
    const refused = await api(token, 'POST', `/webhooks/${endpoint.id}/test`);
    assert.equal(refused.body.status_code, 503);
    await page.reload();
    const row = page.locator(`tr[data-delivery="${refused.body.id}"]`);
    await row.getByText('CRM на обслуживании').waitFor();
    await row.getByRole('button', { name: 'Повторить' }).click();
    await page.getByRole('article', { name: `Вебхук ${receiverUrl}` })
      .getByRole('cell', { name: /^200 · \d+ мс$/ }).nth(1).waitFor();
    assert.equal(pings().length, 3);
    assert.equal(pings()[2].body.id, pings()[1].body.id, 'the same event, again');
    assert.ok(pings()[2].verified);
    assert.deepEqual(page.errors, []);

    // Removed, it is gone from the page.
    await page.getByRole('article', { name: `Вебхук ${receiverUrl}` }).getByRole('button', { name: 'Удалить' }).click();
    await page.getByRole('article', { name: `Вебхук ${receiverUrl}` }).waitFor({ state: 'detached' });
  } finally {
    const left = await api(token, 'GET', '/webhooks');
    for (const endpoint of left.body ?? []) {
      if (endpoint.url === receiverUrl) await api(token, 'DELETE', `/webhooks/${endpoint.id}`);
    }
    await page.context().close();
  }
});

test('a manager sees no webhooks and cannot reach them over the API', async () => {
  const token = await apiToken('manager@sever.demo');
  assert.equal((await api(token, 'GET', '/webhooks')).status, 403);
  const page = await openPage(browser);
  try {
    await logIn(page, 'manager@sever.demo');
    await page.goto(`${BASE_URL}/settings`);
    await page.getByRole('region', { name: 'Уведомления' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Вебхуки' }).count(), 0);
  } finally {
    await page.context().close();
  }
});
