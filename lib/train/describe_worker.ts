/**
 * Worker of {@linkcode describeFaces}: starts the requested backend, builds the model from the
 * registry and describes its share of the faces.
 * @module
 */
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend/select_backend.ts";
import { getModel } from "../model/registry.ts";
import { serveCall } from "../util/worker_call.ts";
import { describeInThread, type DescribeRequest } from "./describe_faces.ts";

serveCall<DescribeRequest, { rows: Float32Array; features: number }>(async (
  request,
  _log,
  progress,
) => {
  await selectBackend(request.backend, { log: () => {} });
  const count = request.faces.length / (request.size * request.size);
  const result = await describeInThread(
    getModel(request.model),
    request.faces,
    request.size,
    Int32Array.from({ length: count }, (_, i) => i),
    request.params,
    progress,
  );
  return { result, transfer: [result.rows.buffer as ArrayBuffer] };
});
