// The whole app under a path prefix, as v1 was deployed behind nginx: scripts/e2e.sh runs a
// second server with PUBLIC_PATH_PREFIX=/concierge behind a real nginx with deploy/nginx.conf
// (the file compose.yaml ships), which strips the prefix and answers 404 outside it. Every request the browser makes must stay under it:
// pages, /pkg assets, server functions, redirects and the event stream.
import { test, before, after } from 'node:test';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import assert from 'node:assert/strict';
import { launch, openPage, waitForHydration, ARTIFACTS } from './browser.mjs';
import { apiToken, firstShopAndService, bookVisit, workingDay } from './api.mjs';

const PREFIXED = process.env.PREFIX_URL;
let browser;
before(async () => {
  assert.ok(PREFIXED, 'PREFIX_URL is set by scripts/e2e.sh (the proxy in front of the prefixed server)');
  browser = await launch();
});
after(async () => { await browser?.close(); });

// Records every request of the page's context that leaves the prefix.
function watchRequests(page) {
  const escaped = [];
  const seen = [];
  page.context().on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url.startsWith('about:')) return;
    seen.push(url);
    if (!url.startsWith(`${PREFIXED}/`)) escaped.push(`${request.method()} ${url}`);
  });
  return { escaped, seen };
}

test('under /concierge/: log in, dashboard, calendar (live), week view, log out — nothing escapes the prefix', async () => {
  const page = await openPage(browser);
  const { escaped, seen } = watchRequests(page);
  await page.goto(`${PREFIXED}/`);
  await page.waitForURL(`${PREFIXED}/login`);
  await waitForHydration(page);
  await page.fill('#email', 'admin@sever.demo');
  await page.fill('#password', 'demo-password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  await waitForHydration(page);
  assert.equal(page.url(), `${PREFIXED}/`);
  const session = (await page.context().cookies()).find((c) => c.name === 'ac_session');
  assert.equal(session.path, new URL(`${PREFIXED}/`).pathname);

  // A section link from the menu: client-side navigation under the prefix.
  await page.getByRole('navigation', { name: 'Разделы' }).getByRole('link', { name: 'Календарь' }).click();
  await page.waitForURL(`${PREFIXED}/calendar`);
  await page.getByTestId('calendar-date').waitFor();

  // Booking through the calendar: a server function under the prefix; a second browser
  // (also behind the proxy) sees it over the event stream.
  const date = workingDay(56);
  await page.goto(`${PREFIXED}/calendar?date=${date}`);
  await waitForHydration(page);
  const watcher = await openPage(browser);
  const watched = watchRequests(watcher);
  await watcher.goto(`${PREFIXED}/login`);
  await waitForHydration(watcher);
  await watcher.fill('#email', 'manager@sever.demo');
  await watcher.fill('#password', 'demo-password');
  await watcher.click('button[type=submit]');
  await watcher.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  await watcher.goto(`${PREFIXED}/calendar?date=${date}`);
  await waitForHydration(watcher);
  await watcher.waitForTimeout(500);

  await page.getByRole('button', { name: 'Записать: пост 2, 11:00' }).click();
  const form = page.getByRole('dialog', { name: /Новая запись: пост 2, 11:00/ });
  await form.getByLabel('Имя', { exact: true }).fill('Зоя Префиксова');
  await form.getByLabel('Телефон', { exact: true }).fill('+7 916 200-00-01');
  await form.getByRole('checkbox').first().check();
  await form.getByRole('button', { name: 'Записать', exact: true }).click();
  await page.locator('[data-visit]', { hasText: 'Зоя Префиксова' }).waitFor();
  await watcher.locator('[data-visit]', { hasText: 'Зоя Префиксова' }).waitFor({ timeout: 10000 });

  // A change from the REST API (published under the prefix too) reaches the watcher as well.
  const token = await apiToken('admin@sever.demo', { base: PREFIXED });
  const { shop, service } = await firstShopAndService(token);
  // And over the WebSocket, also under the prefix: the proxy passes the upgrade on.
  const wsUrl = `${PREFIXED.replace(/^http/, 'ws')}/api/v1/ws?token=${encodeURIComponent(token.value)}`;
  await watcher.evaluate((url) => new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    window.wsSocket = socket;
    socket.onerror = () => reject(new Error(`the WebSocket ${url} failed`));
    window.wsEvents = [];
    socket.onmessage = (message) => window.wsEvents.push(JSON.parse(message.data));
    socket.onopen = () => resolve();
  }), wsUrl);
  await bookVisit(token, { shop, service, date, time: '15:00', bay: 1, name: 'Лев Событийный', phone: '+7 916 200-00-02' });
  await watcher.locator('[data-visit]', { hasText: 'Лев Событийный' }).waitFor({ timeout: 10000 });
  await watcher.waitForFunction(() => window.wsEvents.some((event) =>
    event.type === 'appointment.created' && event.data?.client?.full_name === 'Лев Событийный'), null, { timeout: 10000 });
  // nginx logs a connection when it ends: close the socket, then the upgrade (101) and the event
  // streams are there, without the tokens of their URLs.
  await watcher.evaluate(() => window.wsSocket.close());
  const upgraded = /"GET \/concierge\/api\/v1\/ws HTTP\/1\.1" 101 /;
  let accessLog = '';
  for (let i = 0; i < 50 && !upgraded.test(accessLog); i++) {
    await watcher.waitForTimeout(100);
    accessLog = readFileSync(process.env.NGINX_ACCESS_LOG, 'utf8');
  }
  assert.match(accessLog, upgraded);
  assert.match(accessLog, /"GET \/concierge\/api\/v1\/events HTTP\/1\.1" /);
  assert.doesNotMatch(accessLog, /token=/);

  await page.getByRole('navigation', { name: 'Вид календаря' }).getByRole('link', { name: 'Неделя' }).click();
  await page.waitForURL(/\/concierge\/calendar\?.*view=week/);
  await page.locator(`[data-day="${date}"] [data-visit]`, { hasText: 'Зоя Префиксова' }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/prefix-calendar-week-1280.png`, fullPage: true });

  await page.getByRole('button', { name: 'Выйти' }).click();
  await page.waitForURL(`${PREFIXED}/login`);

  assert.ok(seen.some((url) => url.includes('/concierge/pkg/') && url.endsWith('.wasm')), 'the WASM came from under the prefix');
  assert.ok(seen.some((url) => url.includes('/concierge/api/')), 'server functions were called under the prefix');
  assert.ok(watched.seen.some((url) => url.includes('/concierge/api/v1/events')), 'the event stream was opened under the prefix');
  assert.deepEqual(escaped, []);
  assert.deepEqual(watched.escaped, []);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(watcher.errors, []);
  await page.context().close();
  await watcher.context().close();
});

test('under /concierge/ the login works before the WASM loads (JavaScript disabled)', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const { escaped } = watchRequests(page);
  await page.goto(`${PREFIXED}/login`);
  await page.fill('#email', 'admin@garage24.demo');
  await page.fill('#password', 'demo-password');
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  assert.equal(page.url(), `${PREFIXED}/`);
  // Plain links of the server-rendered page lead under the prefix.
  await page.getByRole('navigation', { name: 'Разделы' }).first().getByRole('link', { name: 'Клиенты' }).click();
  await page.waitForURL(`${PREFIXED}/clients`);
  assert.deepEqual(escaped, []);
  await context.close();
});

test('a proxy that passes the prefix on instead of stripping it works too', async () => {
  const direct = process.env.PREFIXED_SERVER_URL;
  assert.ok(direct, 'PREFIXED_SERVER_URL is set by scripts/e2e.sh');
  const login = await fetch(`${direct}/concierge/login`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /Вход для сотрудников автосервиса/);
  assert.equal((await fetch(`${direct}/concierge/pkg/auto-concierge.css`)).status, 200);
  assert.equal((await fetch(`${direct}/concierge/health`)).status, 200);
  // And the stripped form, as the proxy sends it, of course.
  assert.equal((await fetch(`${direct}/login`)).status, 200);
});

// GET of a raw path (fetch would normalise `/./` and the like before sending).
function rawGet(base, path, headers) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', reject);
    request.end();
  });
}

test('/metrics is never reachable through the public site, by any spelling of its path', async () => {
  const token = process.env.METRICS_TOKEN;
  assert.ok(token, 'METRICS_TOKEN is set by scripts/e2e.sh');
  const auth = { authorization: `Bearer ${token}` };
  // The control: the app itself answers with the token (so a path that reached it would be 200).
  assert.equal(await rawGet(process.env.PREFIXED_SERVER_URL, '/metrics', auth), 200);
  assert.equal(await rawGet(process.env.PREFIXED_SERVER_URL, '/metrics/', auth), 200);
  const proxy = new URL(PREFIXED);
  for (const path of [
    '/concierge/metrics', '/concierge/metrics/', '/concierge//metrics', '/concierge/concierge/metrics',
    '/concierge/concierge/metrics/', '/concierge/./metrics', '/concierge/%6Detrics', '/concierge/metrics?x=1',
    '/concierge/metrics/../metrics', '/concierge/api/../metrics',
  ]) {
    assert.equal(await rawGet(`${proxy.protocol}//${proxy.host}`, path, auth), 404, path);
  }
  // The rest of the site is still served.
  assert.equal(await rawGet(`${proxy.protocol}//${proxy.host}`, '/concierge/health', auth), 200);
});

test('under /concierge/: a car owner books on the public page and reaches the manage link — nothing escapes the prefix', async () => {
  const page = await openPage(browser, { width: 390, height: 800 });
  const { escaped } = watchRequests(page);
  await page.goto(`${PREFIXED}/b/sever`);
  await page.getByLabel('Опишите, что случилось с машиной').fill('скрипят тормоза');
  await page.getByRole('button', { name: 'Подобрать работы' }).click();
  await page.getByRole('region', { name: 'Что это может быть' }).getByRole('button', { name: 'Выбрать время' }).click();
  const shops = page.getByRole('region', { name: 'В какой сервис удобнее приехать?' });
  if (await shops.count()) await shops.getByRole('link').first().click();
  await page.getByRole('region', { name: 'День' }).getByRole('link').first().click();
  await page.getByRole('group', { name: 'Время' }).locator('label').first().click();
  await page.getByLabel('Как к вам обращаться').fill('Префикс Клиентов');
  await page.getByLabel('Телефон', { exact: true }).fill('+7 916 700-00-09');
  await page.getByRole('button', { name: 'Записаться' }).click();
  await page.getByText('Вы записаны!').waitFor();
  assert.ok(page.url().startsWith(`${PREFIXED}/b/sever/v/`), page.url());
  assert.deepEqual(escaped, []);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
