// A fake Telegram Bot API on 127.0.0.1 speaking the real wire format: `getMe` answers for one
// known token; long polling (`getUpdates`) hands out what a test made a customer write
// (`write`), confirmed by the bot's `offset`; `sendMessage` is recorded (`sent`) and answered
// with the message as Telegram would. scripts/e2e.sh starts the server with TELEGRAM_API_URL
// pointing at the port it gives the tests in FAKE_TELEGRAM_PORT.
import http from 'node:http';

export const GOOD_TOKEN = '7000000001:AAE-fake_token_for_the_browser_tests_01';
export const BOT_USERNAME = 'sever_e2e_bot';

export function startFakeTelegram(port) {
  const calls = [];
  const sent = [];
  let pending = [];
  let nextUpdate = 0;
  const server = http.createServer(async (req, res) => {
    const match = /^\/bot([^/]+)\/(\w+)/.exec(new URL(req.url, 'http://x').pathname);
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token] = match;
    // Method names are case-insensitive in the Bot API (teloxide sends `GetUpdates`).
    const method = match[2].toLowerCase();
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body = {};
    try { body = raw ? JSON.parse(raw) : {}; } catch { body = Object.fromEntries(new URLSearchParams(raw)); }
    calls.push({ token, method: match[2], body });
    if (token !== GOOD_TOKEN) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    switch (method) {
      case 'getme':
        return reply(200, { ok: true, result: { id: 7000000001, is_bot: true, first_name: 'Север e2e', username: BOT_USERNAME } });
      case 'getupdates': {
        // An offset confirms every update before it; with nothing new, answer after a short wait.
        const offset = Number(body.offset ?? 0);
        pending = pending.filter((u) => u.update_id >= offset);
        if (pending.length) return reply(200, { ok: true, result: pending });
        return setTimeout(() => reply(200, { ok: true, result: pending.filter((u) => u.update_id >= offset) }), 500);
      }
      case 'sendmessage':
        sent.push(body);
        return reply(200, { ok: true, result: {
          message_id: sent.length, date: Math.floor(Date.now() / 1000),
          chat: { id: Number(body.chat_id), type: 'private', first_name: 'Клиент' },
          from: { id: 7000000001, is_bot: true, first_name: 'Север e2e' },
          text: body.text,
        } });
      default:
        return reply(200, { ok: true, result: true });
    }
  });
  // A customer (`user`, a Telegram id) writes to the bot.
  const write = (user, text, firstName = 'Клиент') => {
    nextUpdate += 1;
    pending.push({ update_id: nextUpdate, message: {
      message_id: nextUpdate, date: Math.floor(Date.now() / 1000),
      chat: { id: user, type: 'private', first_name: firstName },
      from: { id: user, is_bot: false, first_name: firstName },
      text,
    } });
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      calls, sent, write,
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
    }));
  });
}
