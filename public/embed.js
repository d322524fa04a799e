// The embed snippet's script (Settings → «Запись на сайте»): a shop's own site shows the
// company's booking page in an <iframe data-auto-concierge>, and the page inside reports its
// height (public/forms.js), so the frame grows with it instead of scrolling inside the site.
window.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || data.type !== 'auto-concierge:height' || typeof data.height !== 'number') return;
  for (const frame of document.querySelectorAll('iframe[data-auto-concierge]')) {
    if (frame.contentWindow === event.source) frame.style.height = `${Math.ceil(data.height)}px`;
  }
});
