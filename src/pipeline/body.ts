import type { Readable } from 'node:stream';

/** A body grew past its limit; `received` is how many bytes had arrived when it was cut. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number, readonly received: number) {
    super(`the body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The one bounded body read (client request bodies, upstream answers for response hooks, JSVM
 * HTTP replies). Past `max` bytes it stops listening and destroys the stream, so nothing more is
 * read or buffered, and rejects with BodyTooLargeError.
 */
export function readBounded(stream: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        stream.pause();
        reject(new BodyTooLargeError(max, size));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('the stream closed before its end'), { code: 'ECONNRESET' }));
    };
    function cleanup() {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
