import net from 'node:net';

/**
 * A TCP relay on loopback that a test can cut (every connection dropped, new ones refused)
 * and mend: a real network cut between an agent and the control plane.
 */
export interface TcpProxy {
  port: number;
  /** Where to relay to; settable after the proxy exists (the target's port may come later). */
  targetPort: number;
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

export async function tcpProxy(): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const proxy: TcpProxy = {
    port: 0,
    targetPort: 0,
    cut: () => {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    mend: () => {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(proxy.targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}
