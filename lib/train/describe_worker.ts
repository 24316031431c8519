/**
 * Worker of {@linkcode describeFaces}: starts the requested backend, builds the model from the
 * registry and describes its share of the faces, sending each batch's rows as it is done.
 * @module
 */
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend/select_backend.ts";
import { getModel } from "../model/registry.ts";
import { serveCall } from "../util/worker_call.ts";
import { describeBatches, type DescribedBatch, type DescribeRequest } from "./describe_faces.ts";

serveCall<DescribeRequest, void>(async (request, _log, _progress, partial) => {
  await selectBackend(request.backend, { log: () => {} });
  const count = request.faces.length / (request.size * request.size);
  await describeBatches(
    getModel(request.model),
    request.faces,
    request.size,
    Int32Array.from({ length: count }, (_, i) => i),
    request.params,
    (first, rows, features) => {
      // Moved, not copied, unless the rows share their buffer.
      const own = rows.byteOffset === 0 && rows.byteLength === rows.buffer.byteLength;
      const batch: DescribedBatch = { first, rows: own ? rows : rows.slice(), features };
      partial(batch, [batch.rows.buffer as ArrayBuffer]);
    },
  );
  return { result: undefined };
});
