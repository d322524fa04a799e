// The company's public page (issue 15) in Chromium, as a car owner on a phone: describe what
// happened, see causes, works and prices, pick a shop, a day and a time, book — without
// JavaScript, and with it while staff watch the visit appear live in the calendar; then manage
// the visit by its link (move, cancel), and a bot-like client refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, screenshots, openPage, logIn, BASE_URL } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const WORDS = 'стучит спереди справа на кочках';

// From the company page to the contact form: the words, the suggested works, the first shop and
// the first day with free time. Returns the chosen shop's id and the day.
async function upToTheTimes(page) {
  await page.goto(`${BASE_URL}/b/sever`);
  await page.getByLabel('Опишите, что случилось с машиной').fill(WORDS);
  await page.getByRole('button', { name: 'Подобрать работы' }).click();
  const findings = page.getByRole('region', { name: 'Что это может быть' });
  await findings.getByText('Подходящие работы').waitFor();
  assert.match(await findings.textContent(), /₽/);
  await findings.getByRole('button', { name: 'Выбрать время' }).click();
  await page.getByRole('region', { name: 'Работы' }).waitFor();
  const shops = page.getByRole('region', { name: 'В какой сервис удобнее приехать?' });
  if (await shops.count()) await shops.getByRole('link').first().click();
  const days = page.getByRole('region', { name: 'День' });
  await days.getByRole('link').first().click();
  await page.getByRole('group', { name: 'Время' }).waitFor();
  const url = new URL(page.url());
  return { shop: url.searchParams.get('shop'), day: url.searchParams.get('day') };
}

async function contacts(page, name, phone) {
  const times = page.getByRole('group', { name: 'Время' });
  const first = times.locator('label').first();
  const time = (await first.textContent()).trim();
  await first.click();
  await page.getByLabel('Как к вам обращаться').fill(name);
  await page.getByLabel('Телефон', { exact: true }).fill(phone);
  await page.getByLabel('Марка').fill('Lada');
  await page.getByLabel('Модель').fill('Vesta');
  return time;
}

test('a car owner books on a phone without JavaScript and cancels by the link', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 800 }, locale: 'ru-RU' });
  const page = await context.newPage();
  const response = await page.goto(`${BASE_URL}/b/sever`);
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { name: 'Наши сервисы' }).waitFor();
  const shops = page.getByRole('region', { name: 'Наши сервисы' });
  assert.equal(await shops.getByRole('link', { name: '+74951234501' }).getAttribute('href'), 'tel:+74951234501');
  assert.match(await page.getByRole('region', { name: 'Работы и цены' }).getByRole('region', { name: 'Подвеска' }).textContent(), /₽/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'nothing overflows the phone');
  // No WASM on the public pages.
  assert.equal(await page.locator('script[type=module], link[rel=modulepreload]').count(), 0);
  await screenshots(page, 'public-page');
  await page.setViewportSize({ width: 390, height: 800 });

  await upToTheTimes(page);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'the booking step fits the phone');
  await page.screenshot({ path: 'end2end/artifacts/public-booking-390.png', fullPage: true });
  await contacts(page, 'Инна Безскриптова', '+7 916 700-00-01');
  await page.getByRole('button', { name: 'Записаться' }).click();
  await page.getByText('Вы записаны!').waitFor();
  assert.match(page.url(), /\/b\/sever\/v\/[A-Za-z0-9_-]{40,}\?done=booked$/);
  assert.equal((await page.locator('[data-visit-status]').textContent()).trim(), 'Ждёт подтверждения сервисом');

  await page.getByRole('button', { name: 'Отменить запись' }).click();
  await page.getByText('Запись отменена.').waitFor();
  assert.equal((await page.locator('[data-visit-status]').textContent()).trim(), 'Отменена');
  assert.equal(await page.getByRole('button', { name: 'Отменить запись' }).count(), 0);

  const missing = await page.goto(`${BASE_URL}/b/no-such-company`);
  assert.equal(missing.status(), 404);
  await page.getByRole('heading', { name: 'Такого автосервиса у нас нет' }).waitFor();
  await context.close();
});

test('a booking with JavaScript appears live in the staff calendar and is moved by its link', async () => {
  const owner = await openPage(browser, { width: 390, height: 800 });
  const { shop, day } = await upToTheTimes(owner);

  const staff = await openPage(browser);
  await logIn(staff, 'admin@sever.demo');
  await staff.goto(`${BASE_URL}/calendar?shop=${shop}&date=${day}`);
  await staff.waitForSelector('[data-hydrated="true"]');

  const time = await contacts(owner, 'Ирина Онлайн', '+7 916 700-00-02');
  await owner.getByRole('button', { name: 'Записаться' }).click();
  await owner.getByText('Вы записаны!').waitFor();
  const card = staff.locator('[data-visit]', { hasText: 'Ирина Онлайн' });
  await card.waitFor({ timeout: 15000 });
  assert.match(await card.textContent(), new RegExp(time));

  // Moved to another time of that day through the link.
  await owner.getByRole('region', { name: 'Перенести на другое время' }).getByRole('link').first().click();
  const times = owner.getByRole('group', { name: 'Новое время' });
  const labels = times.locator('label');
  const target = (await labels.nth(1).textContent()).trim();
  await labels.nth(1).click();
  await owner.getByRole('button', { name: 'Перенести' }).click();
  await owner.getByText('Запись перенесена.').waitFor();
  assert.match(await owner.locator('[data-visit-when]').textContent(), new RegExp(target));
  assert.deepEqual(owner.errors, []);
  assert.deepEqual(staff.errors, []);
  await owner.context().close();
  await staff.context().close();
});

test('a bot-like client that fills the hidden field is refused, and nothing is booked', async () => {
  const page = await openPage(browser, { width: 390, height: 800 });
  await upToTheTimes(page);
  await contacts(page, 'Бот Роботов', '+7 916 700-00-03');
  await page.evaluate(() => { document.getElementById('public-website').value = 'https://spam.example'; });
  await page.getByRole('button', { name: 'Записаться' }).click();
  await page.getByRole('alert').filter({ hasText: 'Запись не принята' }).waitFor();
  assert.match(page.url(), /\/book\?/);
  await page.context().close();
});

test('an admin switches the page off and on in Settings, and prints the QR card', async () => {
  const page = await openPage(browser);
  await logIn(page, 'admin@sever.demo');
  await page.goto(`${BASE_URL}/settings`);
  const section = page.getByRole('region', { name: 'Запись на сайте' });
  await section.getByRole('link', { name: /\/b\/sever$/ }).waitFor();
  assert.match(await section.getByLabel('Код для сайта сервиса (вставьте в страницу)').inputValue(), /<iframe src="[^"]+\/b\/sever"[^>]*data-auto-concierge><\/iframe>\s*<script src="[^"]+\/embed\.js" async><\/script>/);
  const qr = await page.request.get(`${BASE_URL}/b/sever/qr.svg`);
  assert.equal(qr.headers()['content-type'], 'image/svg+xml');

  await section.getByLabel('Клиенты могут записываться на странице').uncheck();
  await section.getByLabel('Цвет страницы').fill('#0F766E');
  await section.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByRole('region', { name: 'Запись на сайте' }).getByText('Сохранено').waitFor();
  const visitor = await openPage(browser, { width: 390, height: 800 });
  await visitor.goto(`${BASE_URL}/b/sever`);
  await visitor.getByText('Запись на сайте сейчас выключена').waitFor();
  assert.equal(await visitor.getByRole('button', { name: 'Подобрать работы' }).count(), 0);

  const again = page.getByRole('region', { name: 'Запись на сайте' });
  await again.getByLabel('Клиенты могут записываться на странице').check();
  await again.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByRole('region', { name: 'Запись на сайте' }).getByText('Сохранено').waitFor();
  assert.ok(await page.getByRole('region', { name: 'Запись на сайте' }).getByLabel('Клиенты могут записываться на странице').isChecked());
  await visitor.goto(`${BASE_URL}/b/sever`);
  await visitor.getByRole('button', { name: 'Подобрать работы' }).waitFor();

  // The A5 card for the reception desk.
  await visitor.setViewportSize({ width: 700, height: 1000 });
  await visitor.goto(`${BASE_URL}/b/sever/card`);
  await visitor.getByText('Запишитесь онлайн').waitFor();
  await visitor.locator('img[alt="QR-код страницы записи"]').evaluate((img) => img.decode());
  await visitor.locator('article').screenshot({ path: 'end2end/artifacts/public-card.png' });
  assert.deepEqual(page.errors, []);
  assert.deepEqual(visitor.errors, []);
  await page.context().close();
  await visitor.context().close();
});

test('the embed snippet on a shop’s own site shows the page in a frame that grows with it', async () => {
  const page = await openPage(browser, { width: 1024, height: 800 });
  // The shop's site: another origin (a blank page) with the snippet from Settings.
  await page.setContent(`<h1>Сайт сервиса</h1>
    <iframe src="${BASE_URL}/b/sever" title="Запись в автосервис" style="width:100%;min-height:600px;border:0" data-auto-concierge></iframe>
    <script src="${BASE_URL}/embed.js"></script>`);
  const frame = page.frameLocator('iframe[data-auto-concierge]');
  await frame.getByRole('button', { name: 'Подобрать работы' }).waitFor();
  await page.waitForFunction(() => parseInt(document.querySelector('iframe').style.height, 10) > 1000);
  const inner = await page.frames()[1].evaluate(() => document.documentElement.scrollHeight);
  const outer = await page.evaluate(() => parseInt(document.querySelector('iframe').style.height, 10));
  assert.ok(Math.abs(inner - outer) <= 2, `the frame is ${outer}px, its page ${inner}px`);
  await page.context().close();
});
