// The REST API as the signed-in key sees it. The key lives in sessionStorage: it is gone when the tab closes, it is
// never put in a URL (so not in history, logs or a Referer) and is sent only in the Authorization header.
const KEY = 'patchstate.apiKey';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const storedKey = () => sessionStorage.getItem(KEY);
export const forgetKey = () => sessionStorage.removeItem(KEY);

/** The position of the last command this tab sent: later reads wait for the read models to reach it. */
let lastPosition = null;

/** GET (or POST with a body) a JSON answer; a refusal throws the API's own code and message. */
export async function api(path, { method = 'GET', body, key = storedKey() } = {}) {
  const url = method === 'GET' && lastPosition ? `${path}${path.includes('?') ? '&' : '?'}minPosition=${lastPosition}` : path;
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text };
  }
  if (!response.ok) throw new ApiError(response.status, parsed?.code ?? 'ERROR', parsed?.message ?? `HTTP ${response.status}`);
  if (method !== 'GET') lastPosition = response.headers.get('x-position') ?? lastPosition;
  return parsed;
}

/** Checks a key against GET /v1/session and keeps it for the tab only if the API accepts it. */
export async function signIn(key) {
  const session = await api('/v1/session', { key });
  sessionStorage.setItem(KEY, key);
  return session;
}
