// Plain forms (`data-plain-form`, rendered by `PlainForm` in app/src/components/form.rs) need no
// WASM: without this script the browser posts them and the server answers with a redirect (back
// to the page, or with the refusal in the URL). With it, the form is posted with fetch, so a
// refusal is shown in the form's alert and nothing typed is lost; a success follows the
// server's redirect or reloads the page with the change.
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-plain-form') || event.defaultPrevented) return;
  event.preventDefault();
  const alert = form.querySelector('[data-form-error]');
  const buttons = [...form.querySelectorAll('button[type=submit]')];
  const show = (message) => {
    alert.textContent = message;
    alert.hidden = false;
  };
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(new FormData(form)),
      headers: { accept: 'application/json' },
    });
    if (response.ok) {
      const next = response.headers.get('location');
      if (response.redirected) window.location.href = response.url;
      else if (next) window.location.href = next;
      else window.location.reload();
      return;
    }
    let message = 'Не удалось сохранить, попробуйте ещё раз';
    try { message = (await response.json()).message || message; } catch { /* not the server's JSON */ }
    show(message);
  } catch {
    show('Нет связи с сервером, попробуйте ещё раз');
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
});

// «Показать пароль»: a button with `data-toggle-password="<input id>"` shows and hides it.
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element && event.target.closest('[data-toggle-password]');
  const input = button && document.getElementById(button.dataset.togglePassword);
  if (!input) return;
  const show = input.type === 'password';
  input.type = show ? 'text' : 'password';
  button.textContent = show ? 'Скрыть пароль' : 'Показать пароль';
});

// Inside a shop's own site (the embed snippet's iframe), a public page tells the frame its height.
if (window.parent !== window && document.body) {
  const report = () => window.parent.postMessage({ type: 'auto-concierge:height', height: document.documentElement.scrollHeight }, '*');
  new ResizeObserver(report).observe(document.body);
  report();
}
