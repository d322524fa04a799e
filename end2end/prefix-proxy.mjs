// A reverse proxy that publishes the app under a path prefix and strips it, as nginx does with
//   location /concierge/ { proxy_pass http://127.0.0.1:3000/; }
// (v1's deployment): `/concierge/x` is passed on as `/x` with the upstream's Host, responses
// (event streams included) are streamed back, `/concierge` is redirected to `/concierge/`, and
// anything outside the prefix is a 404 — a request that escapes the prefix fails visibly.
//
//   node end2end/prefix-proxy.mjs LISTEN_PORT UPSTREAM_URL PREFIX
import http from 'node:http';

const [port, upstreamUrl, prefix] = process.argv.slice(2);
if (!port || !upstreamUrl || !prefix?.startsWith('/')) {
  console.error('usage: node end2end/prefix-proxy.mjs LISTEN_PORT UPSTREAM_URL /PREFIX');
  process.exit(2);
}
const upstream = new URL(upstreamUrl);

const server = http.createServer((req, res) => {
  const path = req.url ?? '/';
  if (path === prefix || path.startsWith(`${prefix}?`)) {
    res.writeHead(301, { location: `${prefix}/${path.slice(prefix.length)}` });
    return res.end();
  }
  if (!path.startsWith(`${prefix}/`)) {
    console.error(`outside ${prefix}/: ${req.method} ${path}`);
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end(`not under ${prefix}/`);
  }
  const headers = { ...req.headers, host: upstream.host };
  const forward = http.request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: path.slice(prefix.length),
    headers,
  }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  forward.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream: ${e.message}`);
  });
  req.pipe(forward);
  res.on('close', () => forward.destroy());
});
server.listen(Number(port), '127.0.0.1', () => console.log(`${prefix}/ on :${port} → ${upstreamUrl}`));
