// The REST API from the tests: quick set-up of visits that the browser then works with.
import assert from 'node:assert/strict';
import { BASE_URL } from './browser.mjs';

// A bearer token of a demo user, with the server it is for (the prefixed one's URL, say).
export async function apiToken(email, { base = BASE_URL, password = 'demo-password' } = {}) {
  const response = await fetch(`${base}/api/v1/login/access-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return { base, value: (await response.json()).access_token };
}

export async function api(token, method, path, body) {
  const response = await fetch(`${token.base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token.value}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// A working day (Mon–Sat) `days` ahead, as YYYY-MM-DD; Sundays move to Monday.
export function workingDay(days) {
  const day = new Date(Date.now() + days * 86400000);
  if (day.getUTCDay() === 0) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

export function addDays(date, days) {
  const day = new Date(`${date}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

// The company's first shop (the calendar's default) and a short service offered everywhere.
export async function firstShopAndService(token) {
  const shops = (await api(token, 'GET', '/shops/')).body;
  const services = (await api(token, 'GET', '/services/?limit=500')).body;
  const service = services.find((s) => s.is_active && s.shop_id === null && s.duration_minutes <= 60);
  assert.ok(service, 'a short service offered in every shop');
  return { shop: shops[0], service };
}

// Books a visit in a Moscow-time shop (the demo's) for a new client; returns the appointment.
export async function bookVisit(token, { shop, service, date, time, bay, name, phone }) {
  const { status, body } = await api(token, 'POST', '/appointments/', {
    shop_id: shop.id,
    client: { full_name: name, phone },
    service_ids: [service.id],
    start_time: `${date}T${time}:00+03:00`,
    bay,
  });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}
