import { Logger } from '@nestjs/common';
import { Response } from 'express';

export const NDJSON = 'application/x-ndjson';

const logger = new Logger('NdjsonResponse');

/**
 * Writes a lazily read selection as newline-delimited JSON, one object per line, honouring backpressure:
 * the next item is pulled only when the socket took the previous one, so memory holds one page of the
 * source at most whatever the selection's size. The first item is pulled before any header is sent, so a
 * refusal (unknown device, bad cursor) still reaches the client as an ordinary error response.
 */
export async function writeNdjson(response: Response, items: AsyncGenerator<unknown>): Promise<void> {
  const first = await items.next();
  response.status(200);
  response.setHeader('Content-Type', `${NDJSON}; charset=utf-8`);
  response.setHeader('Cache-Control', 'no-store');
  let clientGone = false;
  response.once('close', () => {
    clientGone = true;
  });
  try {
    for (let next = first; !next.done && !clientGone; next = await items.next()) {
      if (!response.write(`${JSON.stringify(next.value)}\n`)) await drainedOrClosed(response);
    }
    response.end();
  } catch (error) {
    // The status line is gone already: cutting the stream short is the only honest signal left.
    logger.error(`stream aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  } finally {
    await items.return(undefined);
  }
}

function drainedOrClosed(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
