// The daemon's JSON API: every state change carries the session's CSRF token in a header.
let csrf = '';

export async function startSession() {
  const s = await call('GET', '/api/session');
  csrf = s.csrfToken;
  return s;
}

export async function call(method, path, body, contentType = 'application/json') {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  let payload = body;
  if (body !== undefined && contentType === 'application/json') payload = JSON.stringify(body);
  if (body !== undefined) headers['Content-Type'] = contentType;
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 401) {
    location.reload(); // the session is gone: show the login page
    throw new Error('logged out');
  }
  if (!res.ok) {
    let message = res.status + ' ' + res.statusText;
    try { const e = await res.json(); message = e.error.kind + ': ' + e.error.message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return res.status === 204 ? null : res.json();
}
