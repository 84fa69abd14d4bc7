import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

/** Where `npm run build:web` writes the dashboard (web/vite.config.ts). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The file a URL path names inside `root`, or null: `/` is index.html; anything that decodes
 * to a path outside `root` (`..`, encoded slashes, NUL) or is not a regular file is null.
 */
export async function resolveWebFile(root: string, pathname: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded.replace(/^\/+/, '') || 'index.html';
  const base = resolve(root);
  const file = resolve(base, relative);
  if (!file.startsWith(base + sep)) return null;
  try {
    return (await stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

export interface WebDashboardOptions {
  /** The built dashboard (default web/dist). */
  root?: string;
  /** Requests to this path and below stay with GraphQL. */
  graphqlEndpoint?: string;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Dashboard not built</title>
<p>The web dashboard is not built: run <code>npm run build:web</code> (npm start does it when
web/dist is missing). GraphQL is at <a href="/graphql">/graphql</a>.</p>`;

/**
 * Serves the built web dashboard on GET/HEAD for every path but the GraphQL endpoint:
 * hashed assets cached for a year, index.html revalidated. Unknown paths fall through to
 * Yoga's 404.
 */
export function webDashboard({
  root = DEFAULT_WEB_ROOT,
  graphqlEndpoint = '/graphql',
}: WebDashboardOptions = {}): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const { pathname } = url;
      if (pathname === graphqlEndpoint || pathname.startsWith(`${graphqlEndpoint}/`)) return;
      try {
        const file = await resolveWebFile(root, pathname);
        if (!file) {
          if (pathname === '/' || pathname === '/index.html') {
            endResponse(
              new fetchAPI.Response(NOT_BUILT, {
                status: 503,
                headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
              }),
            );
          }
          return;
        }
        const body = await readFile(file);
        const immutable = pathname.startsWith('/assets/');
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            status: 200,
            headers: {
              'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
              'content-length': String(body.byteLength),
              'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
              'x-content-type-options': 'nosniff',
            },
          }),
        );
      } catch (error) {
        // onRequest errors are not caught by the server adapter: answer instead of crashing.
        console.error('web dashboard: could not serve', pathname, error);
        endResponse(new fetchAPI.Response('Internal Server Error', { status: 500 }));
      }
    },
  };
}
