/** A tiny fetch wrapper for e2e tests: JSON in, status + headers + JSON out. */
export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

const defaultHeaders = new Map<string, Record<string, string>>();

/** Headers sent to one base URL unless a call overrides them: the test stack's admin key, typically. */
export function setDefaultHeaders(baseUrl: string, headers: Record<string, string>): void {
  defaultHeaders.set(baseUrl, headers);
}

export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...defaultHeaders.get(baseUrl),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text.length ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}
