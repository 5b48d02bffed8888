import type { Server, ServerResponse } from 'node:http';

export interface GracefulServer {
  /**
   * Stops accepting, closes idle keep-alive connections, and answers every request still in
   * flight (or arriving on a connection already open) with `Connection: close`, so each client
   * gets the answer to what it sent and then a clean end of its connection. Resolves when every
   * connection is closed.
   */
  stop(): Promise<void>;
}

/**
 * Keep-alive clients under load never leave a busy connection idle, so closing only idle ones
 * would keep serving them until the grace period ends and then reset requests already stored.
 */
export function graceful(server: Server): GracefulServer {
  let stopping = false;
  const inFlight = new Set<ServerResponse>();
  // Before the app's own listener, so a response the app sends at once is still marked.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (stopping) closeAfter(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    stop() {
      stopping = true;
      for (const res of inFlight) closeAfter(res);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
  };
}

function closeAfter(res: ServerResponse): void {
  res.shouldKeepAlive = false;
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
