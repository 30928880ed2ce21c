// The control plane's TLS gRPC port (Istio's 15012): the certificate service and ADS, served with a
// certificate the CA issues to itself. The serving certificate is replaced (without restarting the
// port) after a root rotation and before it expires, through grpc-js's certificate provider hook.
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CA_SERVER_NAME, CA_SERVICE, type CaServiceImplementation, type CreateCertificateRequest, type CreateCertificateResponse } from '../../xds/ca-service.js';
import { ADS_SERVICE, type AdsServiceImplementation } from '../../xds/ads-service.js';
import { CaRequestError, type CertificateAuthority } from './certificate-authority.js';
import { shutdownGrpcServer } from '../../xds/grpc-shutdown.js';

const STATUS: Record<CaRequestError['code'], grpc.status> = {
  unauthenticated: grpc.status.UNAUTHENTICATED,
  forbidden: grpc.status.PERMISSION_DENIED,
  invalid: grpc.status.INVALID_ARGUMENT,
  internal: grpc.status.INTERNAL,
};

/** "Bearer <token>" from the call's metadata; '' when absent. */
export function bearerToken(metadata: grpc.Metadata): string {
  const values = metadata.get('authorization');
  if (values.length !== 1) return '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(values[0]));
  return m ? (m[1] as string) : '';
}

export function caServiceHandlers(ca: CertificateAuthority): CaServiceImplementation {
  return {
    CreateCertificate: (
      call: grpc.ServerUnaryCall<CreateCertificateRequest, CreateCertificateResponse>,
      callback: grpc.sendUnaryData<CreateCertificateResponse>,
    ) => {
      const token = bearerToken(call.metadata);
      ca.issue(token, call.request.csr ?? '', Number(call.request.validity_duration ?? 0)).then(
        (cert) => callback(null, { cert_chain: cert.chainPem }),
        (err: unknown) => {
          const code = err instanceof CaRequestError ? STATUS[err.code] : grpc.status.INTERNAL;
          callback({ code, details: err instanceof Error ? err.message : String(err) });
        },
      );
    },
  };
}

type IdentityListener = (update: { certificate: Buffer; privateKey: Buffer } | null) => void;

/** grpc-js CertificateProvider serving the CA's own certificate (identity only, no client certs). */
class ServingCertificate {
  private latest: { certificate: Buffer; privateKey: Buffer } | null = null;
  private readonly listeners = new Set<IdentityListener>();

  set(chainPem: string, keyPem: string): void {
    this.latest = { certificate: Buffer.from(chainPem), privateKey: Buffer.from(keyPem) };
    for (const l of this.listeners) l(this.latest);
  }

  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(l: IdentityListener): void {
    this.listeners.add(l);
    // Later, not now: grpc-js registers its own watcher only after this call returns, and would
    // miss an update delivered synchronously (the port would then drop every connection).
    setImmediate(() => {
      if (this.latest && this.listeners.has(l)) l(this.latest);
    });
  }
  removeIdentityCertificateListener(l: IdentityListener): void {
    this.listeners.delete(l);
  }
}

export class SecureXdsServer {
  private server: grpc.Server | null = null;
  private readonly serving = new ServingCertificate();
  private renewTimer: NodeJS.Timeout | undefined;
  private names: { dns: string[]; ips: string[] } = { dns: [CA_SERVER_NAME], ips: [] };

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly ads: AdsServiceImplementation,
    private readonly log: (msg: string) => void,
  ) {
    ca.onChange(() => void this.refresh());
  }

  async start(host: string, port: number): Promise<number> {
    this.names = { dns: [CA_SERVER_NAME, 'localhost'], ips: net.isIP(host) ? [host] : [] };
    await this.refresh();
    const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_permit_without_calls': 1 });
    server.addService(ADS_SERVICE, this.ads);
    server.addService(CA_SERVICE, caServiceHandlers(this.ca));
    // grpc-js 1.14 passes this function's FIRST argument to the credentials as the identity
    // provider (its parameter names are swapped); the second (client CA) is null: no client certs.
    const creds = grpc.experimental.createCertificateProviderServerCredentials(this.serving, null, false);
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p)));
    });
    this.server = server;
    return bound;
  }

  private async refresh(): Promise<void> {
    try {
      const id = await this.ca.serverIdentity(this.names);
      this.serving.set(id.chainPem, id.keyPem);
      if (this.renewTimer) clearTimeout(this.renewTimer);
      const half = Math.max(1000, Math.min((id.notAfter.getTime() - Date.now()) / 2, 2 ** 31 - 1));
      this.renewTimer = setTimeout(() => void this.refresh(), half);
      this.renewTimer.unref();
    } catch (e) {
      this.log(`CA: cannot issue the serving certificate: ${(e as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    const server = this.server;
    this.server = null;
    if (!server) return;
    await shutdownGrpcServer(server);
  }
}
