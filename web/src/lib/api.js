// HTTP to perfwatch's own API (same origin; the CSP allows nothing else). Writes carry the
// bearer token kept in localStorage; a 401 asks for one (dialog#token-dialog) and retries once.
import { createStore } from './store.js';

const TOKEN_KEY = 'perfwatch.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function errorOf(res) {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.error) message = body.error;
  } catch {
    // A body that is not JSON keeps the status line as the message.
  }
  return new ApiError(res.status, message);
}

export async function getJSON(path, { signal } = {}) {
  const res = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

export function storedToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function storeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the token then lives for this request only.
  }
}

// The token dialog watches this: non-null while a write waits for a token.
export const tokenRequest = createStore(null);

function askForToken(reason) {
  return new Promise((resolve) => tokenRequest.set({ reason, resolve }));
}

async function sendOnce(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return fetch(path, { method, headers, body: payload });
}

// POST/DELETE with the stored token. Resolves to the parsed answer (or null for an empty one).
export async function send(method, path, body) {
  let res = await sendOnce(method, path, body);
  if (res.status === 401) {
    const token = await askForToken(storedToken() ? 'The stored token was refused.' : '');
    if (token == null) throw new ApiError(401, 'a token is needed for this action');
    storeToken(token);
    res = await sendOnce(method, path, body);
  }
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}
