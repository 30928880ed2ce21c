// Stops a gRPC server: graceful (in-flight calls finish) for up to `graceMs`, then forced.
import type { Server } from '@grpc/grpc-js';

export function shutdownGrpcServer(server: Server, graceMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
