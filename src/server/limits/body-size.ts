import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

function payloadTooLarge(maxBytes: number) {
  return limitError('PAYLOAD_TOO_LARGE', `Request body larger than ${maxBytes} bytes.`, { status: 413 });
}

/**
 * Rejects GraphQL request bodies over `maxBytes` with 413 PAYLOAD_TOO_LARGE: at once from
 * Content-Length, else (chunked uploads) as soon as the bytes read pass the limit, so an
 * oversized body is never buffered whole. Yoga's own limit is switched off in createGateway,
 * so this one decides.
 */
export function bodySizeLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) throw payloadTooLarge(maxBytes);
      // Node's HTTP parser hands over no more than a valid Content-Length's bytes: nothing to
      // count. Counting costs a TransformStream, an AbortController and a DOMException per request.
      if (Number.isSafeInteger(declared) && declared >= 0) return;
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((incoming) => {
        let bytesRead = 0;
        // The server adapter may hand over its own stream implementation: pair it with the
        // matching TransformStream, as Yoga's own limit does.
        const Transform =
          incoming.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const counted = incoming.body?.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytesRead += chunk.byteLength;
              if (bytesRead > maxBytes) controller.error(payloadTooLarge(maxBytes));
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(incoming.url, {
            method: incoming.method,
            headers: incoming.headers,
            signal: incoming.signal,
            body: counted ?? null,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}
