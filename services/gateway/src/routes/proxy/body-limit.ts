import { Transform } from 'node:stream';
import { GatehouseError } from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';

type Done = (err: Error | null, body?: unknown) => void;

/**
 * A content-type parser that hands the body to the proxy as a stream (never
 * buffered), refusing a declared length over `limit` with 413 and cutting a
 * chunked body that grows past it.
 */
export function streamingBodyParser(limit: number) {
  return (request: FastifyRequest, payload: NodeJS.ReadableStream, done: Done) => {
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit) {
        return done(new GatehouseError('payload_too_large', `The request body is larger than ${limit} bytes.`));
      }
      return done(null, payload);
    }
    let seen = 0;
    const limiter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen > limit) return callback(new GatehouseError('payload_too_large', 'The request body is too large.'));
        callback(null, chunk);
      },
    });
    payload.pipe(limiter);
    return done(null, limiter);
  };
}
