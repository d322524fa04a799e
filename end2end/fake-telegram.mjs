// A fake Telegram Bot API on 127.0.0.1 speaking the real wire format: `getMe` answers for one
// known token, long polling (`getUpdates`) returns nothing. scripts/e2e.sh starts the server with
// TELEGRAM_API_URL pointing at the port it gives the tests in FAKE_TELEGRAM_PORT.
import http from 'node:http';

export const GOOD_TOKEN = '7000000001:AAE-fake_token_for_the_browser_tests_01';
export const BOT_USERNAME = 'sever_e2e_bot';

export function startFakeTelegram(port) {
  const calls = [];
  const server = http.createServer((req, res) => {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(new URL(req.url, 'http://x').pathname);
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match;
    calls.push({ token, method });
    if (token !== GOOD_TOKEN) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    switch (method) {
      case 'getMe':
        return reply(200, { ok: true, result: { id: 7000000001, is_bot: true, first_name: 'Север e2e', username: BOT_USERNAME } });
      case 'getUpdates':
        // Long polling with nothing to say: answer after a short wait.
        return setTimeout(() => reply(200, { ok: true, result: [] }), 500);
      default:
        return reply(200, { ok: true, result: true });
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ calls, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) }));
  });
}
