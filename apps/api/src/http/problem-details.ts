import { Request } from 'express';

/** RFC 9457's media type: clients that know problem details read the standard members by it. */
export const PROBLEM_JSON = 'application/problem+json';

/**
 * An error body: the RFC 9457 members (type, title, status, detail, instance) and, unchanged, the members
 * clients of this API already read (code, message, details). Built member by member in a fixed order, so an
 * idempotent replay of a refusal is sent as the same bytes as the first answer.
 */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  message: string;
  details: unknown;
}

/** One URI per domain code: a URN, since the type identifies the problem and need not be fetched. */
export function problemType(code: string): string {
  return `urn:patchstate:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** The same for every occurrence of a type (RFC 9457 3.1.3): the code in words, such as "Not eligible". */
export function problemTitle(code: string): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function problemBody(status: number, code: string, message: string, details: unknown, instance: string): ProblemBody {
  return { type: problemType(code), title: problemTitle(code), status, detail: message, instance, code, message, details };
}

/** The occurrence is the request's path, without its query (which may carry a cursor or a time). */
export function problemInstance(request: Request): string {
  return request.originalUrl.split('?')[0];
}
