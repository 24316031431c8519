/**
 * Worker of {@linkcode describeFaces}: starts the requested backend, builds the model from the
 * registry and describes its share of the faces, posting the rows (or the error).
 * @module
 */
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend/select_backend.ts";
import { getModel } from "../model/registry.ts";
import {
  describeInThread,
  type DescribeRequest,
  type DescribeWorkerMessage,
} from "./describe_faces.ts";

self.onmessage = async (event: MessageEvent<DescribeRequest>) => {
  const request = event.data;
  try {
    await selectBackend(request.backend, { log: () => {} });
    const count = request.faces.length / (request.size * request.size);
    const all = Int32Array.from({ length: count }, (_, i) => i);
    const { rows, features } = await describeInThread(
      getModel(request.model),
      request.faces,
      request.size,
      all,
      request.params,
    );
    self.postMessage({ rows, features } satisfies DescribeWorkerMessage, [
      rows.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    self.postMessage(
      {
        error: error instanceof Error ? error.message : String(error),
      } satisfies DescribeWorkerMessage,
    );
  }
};
