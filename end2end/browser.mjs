// Shared by the browser tests: the system Chromium driven by playwright-core.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const ARTIFACTS = 'end2end/artifacts';
mkdirSync(ARTIFACTS, { recursive: true });

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// A page that records script errors, so a test can assert that hydration raised none. Refused
// requests (a wrong password is a 400) are the server's answer, not a script error.
export async function openPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'ru-RU' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 500 || r.status() === 404) page.errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return page;
}

export async function waitForHydration(page) {
  await page.waitForSelector('[data-hydrated="true"]', { timeout: 20000 });
}

// Logs in through the form and waits for the dashboard, hydrated.
export async function logIn(page, email, password = 'demo-password') {
  await page.goto(`${BASE_URL}/login`);
  await waitForHydration(page);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.getByRole('heading', { name: 'Сводка на сегодня' }).waitFor();
  await waitForHydration(page);
}

// A screenshot of the page at desktop and phone width (test artifacts), back at desktop width after.
export async function screenshots(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${ARTIFACTS}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}
