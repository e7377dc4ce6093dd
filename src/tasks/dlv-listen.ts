// Where a dlv task's Delve listens: in a module of its own, so that other kinds (the tunnel's
// preflight) can read a planned dlv step without loading the dlv kind and its undo machinery.

/** Loopback by default: Delve's port has no authentication. */
export const DEFAULT_DLV_LISTEN = '127.0.0.1:2345';

/** Where Delve will listen, from a dlv task's `listen` (ADDRESS:PORT); an empty address is every address. */
export function listenAddress(a: { listen?: string }): { host: string; port: number } {
  const listen = a.listen ?? DEFAULT_DLV_LISTEN;
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}
