// Gateway spec: plain-text HTTP/TCP servers (tls settings are warned about and ignored).

import { gatewayHost } from './names.js';
import { readProtocol } from './protocols.js';
import type { GatewayServer, GatewaySpec } from './types.js';
import { checkUnique, compact, readLabels, type Field, type FieldSet } from './validate-common.js';

const SPEC: FieldSet = { supported: ['selector', 'servers'] };
const SERVER: FieldSet = { supported: ['name', 'port', 'hosts'], notYet: ['bind', 'tls', 'defaultEndpoint'] };
const PORT: FieldSet = { supported: ['number', 'protocol', 'name'], notYet: ['targetPort'] };

export function validateGatewaySpec(f: Field): GatewaySpec {
  f.object(SPEC, { required: true });
  const servers = f.get('servers').list(readServer, { required: true, nonEmpty: true, what: 'a non-empty list of servers' });
  // Istio: "port names in servers must be unique".
  checkUnique(f.get('servers'), servers, 'port.name', (s) => s.port.name);
  return {
    selector: readLabels(f.get('selector')),
    servers,
  };
}

function readServer(f: Field): GatewayServer {
  f.object(SERVER, { required: true });
  return compact({
    name: f.get('name').string(),
    port: readPort(f.get('port')),
    hosts: f.get('hosts').stringList({ required: true, nonEmpty: true, check: gatewayHost, what: 'a non-empty list of hosts' }),
  });
}

function readPort(f: Field): GatewayServer['port'] {
  f.object(PORT, { required: true });
  const number = f.get('number').int({ required: true, min: 1, max: 65535 });
  const protocol = readProtocol(f.get('protocol'), { required: true });
  if (['GRPC', 'TCP', 'HTTPS', 'TLS'].includes(protocol)) {
    f.get('protocol').warn(`ignored: ${protocol} gateway servers are not supported yet (only HTTP); this server gets no listener`);
  }
  return { number, protocol, name: f.get('name').string({ required: true }) };
}
