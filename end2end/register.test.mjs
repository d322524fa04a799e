// Registration of a new company from the login page, in Chromium: mistakes next to their
// fields, a taken short name or e-mail, logged in afterwards, and a limit on how many one
// address may register.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitForHydration, BASE_URL, ARTIFACTS } from './browser.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const stamp = Date.now().toString(36);
const slug = `e2e-${stamp}`;
const email = `owner-${stamp}@example.com`;

async function fillRegistration(page, fields) {
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
}

test('a company registers from the login page: mistakes by their fields, then logged in as its admin', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/login`);
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Зарегистрировать компанию' }).click();
  await page.getByRole('heading', { name: 'Регистрация компании' }).waitFor();
  await waitForHydration(page);

  // The browser's own checks are switched off to see the server's answer for every field.
  await page.locator('form').evaluate((form) => { form.noValidate = true; });
  await fillRegistration(page, {
    'Название компании': '  ',
    'Короткое имя': 'Плохое имя',
    'E-mail администратора': 'not-an-email',
    'Пароль': 'short',
    'Пароль ещё раз': 'shorter',
  });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.locator('#register-slug-error').filter({ hasText: 'латиница в нижнем регистре' }).waitFor();
  assert.match(await page.locator('#register-company-error').textContent(), /Укажите название компании/);
  assert.match(await page.locator('#register-email-error').textContent(), /корректный e-mail/);
  assert.match(await page.locator('#register-password-error').textContent(), /не короче 8 символов/);
  assert.match(await page.locator('#register-password-repeat-error').textContent(), /Пароли не совпадают/);
  assert.equal(await page.getByLabel('Короткое имя', { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.screenshot({ path: `${ARTIFACTS}/register-errors-1280.png`, fullPage: true });

  await fillRegistration(page, {
    'Название компании': 'Автосервис «Проверка»',
    'Короткое имя': slug,
    'Ваше имя': 'Ольга Основатель',
    'E-mail администратора': email,
    'Пароль': 'long-enough-password',
    'Пароль ещё раз': 'long-enough-password',
  });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  assert.equal(await page.getByTestId('company').textContent(), 'Автосервис «Проверка»');
  assert.ok(await page.getByText('Ольга Основатель').isVisible());
  // A new company has no shop yet: the dashboard leads to where one is added.
  await page.getByRole('link', { name: 'Добавить точку' }).click();
  await page.getByRole('region', { name: 'Новая точка' }).waitFor();
  const session = (await page.context().cookies()).find((c) => c.name === 'ac_session');
  assert.ok(session?.httpOnly, 'logged in with an HttpOnly session cookie');
  assert.deepEqual(page.errors, []);
  await page.context().close();

  // The new admin can log in with the password chosen.
  const again = await openPage(browser);
  await again.goto(`${BASE_URL}/login`);
  await waitForHydration(again);
  await again.fill('#email', email);
  await again.fill('#password', 'long-enough-password');
  await again.click('button[type=submit]');
  await again.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  await again.context().close();
});

test('a taken short name or e-mail is refused at its field, and nothing is created', async () => {
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/register`);
  await waitForHydration(page);
  await fillRegistration(page, {
    'Название компании': 'Двойник',
    'Короткое имя': slug,
    'E-mail администратора': `other-${stamp}@example.com`,
    'Пароль': 'long-enough-password',
    'Пароль ещё раз': 'long-enough-password',
  });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.locator('#register-slug-error').filter({ hasText: 'Компания с таким коротким именем уже существует' }).waitFor();

  await fillRegistration(page, { 'Короткое имя': `${slug}-2`, 'E-mail администратора': 'admin@sever.demo' });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.locator('#register-email-error').filter({ hasText: 'Пользователь с таким e-mail уже существует' }).waitFor();
  assert.equal(await page.locator('#register-slug-error').textContent(), '');
  assert.match(new URL(page.url()).pathname, /\/register$/);

  // The refused company was not half-created: its short name is still free.
  await fillRegistration(page, { 'E-mail администратора': `second-${stamp}@example.com` });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  assert.equal(await page.getByTestId('company').textContent(), 'Двойник');
  await page.context().close();
});

test('registration is rate-limited per address: it cannot be used to fill the database', async () => {
  // Straight at the server function, as a script would; five attempts an hour per address,
  // and the tests above have used some of them.
  const statuses = [];
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${BASE_URL}/api/register_company`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        'form[company]': `Спам ${i}`,
        'form[slug]': `spam-${stamp}-${i}`,
        'form[full_name]': '',
        'form[email]': `spam-${i}-${stamp}@example.com`,
        'form[password]': 'long-enough-password',
        'form[password_repeat]': 'long-enough-password',
      }),
    });
    statuses.push(response.status);
    if (response.status === 429) {
      assert.match(await response.text(), /Слишком много регистраций/);
      break;
    }
  }
  assert.equal(statuses.at(-1), 429, `statuses: ${statuses}`);

  // The form says so in place.
  const page = await openPage(browser);
  await page.goto(`${BASE_URL}/register`);
  await waitForHydration(page);
  await fillRegistration(page, {
    'Название компании': 'Ещё одна',
    'Короткое имя': `late-${stamp}`,
    'E-mail администратора': `late-${stamp}@example.com`,
    'Пароль': 'long-enough-password',
    'Пароль ещё раз': 'long-enough-password',
  });
  await page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await page.getByRole('alert').filter({ hasText: 'Слишком много регистраций' }).waitFor();
  assert.match(new URL(page.url()).pathname, /\/register$/);
  await page.context().close();
});
