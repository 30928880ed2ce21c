// Weft's certificate service: one unary gRPC method on the control plane's xDS servers. A proxy
// sends a CSR (its key stays home) with its credential in `authorization: Bearer <token>`; the CA
// answers with the signed chain. Our own messages, defined here with protobufjs reflection:
//
//   package weft.ca.v1;
//   message CreateCertificateRequest  { string csr = 1; int64 validity_duration = 2; }  // seconds, 0 = CA default
//   message CreateCertificateResponse { repeated string cert_chain = 1; }               // PEM, leaf first
//   service CertificateService { rpc CreateCertificate(CreateCertificateRequest) returns (CreateCertificateResponse); }
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const CA_SERVICE_NAME = 'weft.ca.v1.CertificateService';

export interface CreateCertificateRequest {
  csr: string;
  /** Requested lifetime in seconds; 0 or absent: the CA's default. */
  validity_duration?: number;
}

export interface CreateCertificateResponse {
  cert_chain: string[];
}

const root = new protobuf.Root().define('weft.ca.v1');
const RequestType = new protobuf.Type('CreateCertificateRequest')
  .add(new protobuf.Field('csr', 1, 'string'))
  .add(new protobuf.Field('validity_duration', 2, 'int64'));
const ResponseType = new protobuf.Type('CreateCertificateResponse').add(new protobuf.Field('cert_chain', 1, 'string', 'repeated'));
root.add(RequestType).add(ResponseType);

function codec<T>(type: protobuf.Type): { serialize: (v: T) => Buffer; deserialize: (b: Buffer) => T } {
  return {
    serialize: (value) => Buffer.from(type.encode(type.fromObject(value as object)).finish()),
    deserialize: (bytes) => type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true }) as T,
  };
}

const req = codec<CreateCertificateRequest>(RequestType);
const res = codec<CreateCertificateResponse>(ResponseType);

export interface CaServiceImplementation extends grpc.UntypedServiceImplementation {
  CreateCertificate: grpc.handleUnaryCall<CreateCertificateRequest, CreateCertificateResponse>;
}

export const CA_SERVICE: grpc.ServiceDefinition<CaServiceImplementation> = {
  CreateCertificate: {
    path: `/${CA_SERVICE_NAME}/CreateCertificate`,
    requestStream: false,
    responseStream: false,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
    originalName: 'createCertificate',
  },
};

export interface CaStub extends grpc.Client {
  CreateCertificate(
    request: CreateCertificateRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<CreateCertificateResponse>,
  ): grpc.ClientUnaryCall;
}

export type CaStubConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => CaStub;

export function makeCaClientConstructor(): CaStubConstructor {
  return grpc.makeGenericClientConstructor(CA_SERVICE, CA_SERVICE_NAME) as unknown as CaStubConstructor;
}

/** The name the CA's serving certificate carries and clients verify (as istiod's). */
export const CA_SERVER_NAME = 'istiod.istio-system.svc';
