// gRPC server reflection, v1 and the older v1alpha (grpcurl and some buf versions still ask for it),
// so clients can list and call the services without proto files.
import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1, type ServerReflectionRequest as RequestV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  type ServerReflectionRequest as RequestV1alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";
import { createReflectionSession, type ReflectionQuery } from "./reflection-session.js";

/** `grpc.reflection.v1.ServerReflection` over the index current when each stream starts. */
export function createReflectionServiceV1(indexOf: () => DescriptorIndex): ServiceImpl<typeof ServerReflectionV1> {
  return { serverReflectionInfo: reflectionStream<RequestV1>(indexOf) };
}

/** `grpc.reflection.v1alpha.ServerReflection`, the same answers in the older package. */
export function createReflectionServiceV1alpha(indexOf: () => DescriptorIndex): ServiceImpl<typeof ServerReflectionV1alpha> {
  return { serverReflectionInfo: reflectionStream<RequestV1alpha>(indexOf) };
}

// One answer per request, in order, until the client closes its side; the request is echoed back as the
// protocol asks, so a client may pipeline requests and match answers up.
function reflectionStream<Req extends { host: string; messageRequest: ReflectionQuery }>(indexOf: () => DescriptorIndex) {
  return async function* (requests: AsyncIterable<Req>) {
    const session = createReflectionSession(indexOf());
    for await (const req of requests) {
      yield { validHost: req.host, originalRequest: req, messageResponse: session.answer(req.messageRequest) };
    }
  };
}
