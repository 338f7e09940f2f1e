// A Fetch on the hub's fetch port (the data wire) as an attack test drives
// it: a readable stream of the pieces, ending with the hub's error as a gRPC
// call would (`code` the gRPC status, `details` "CODE: message"), so tests
// read both ports alike. It parses the wire itself, independently of the
// node's client (data-fetch.ts): a paused stream stops reading its socket,
// and TCP holds the hub's pump back, as HTTP/2 flow control does on the main port.
import net from 'node:net';
import { Readable } from 'node:stream';
import { encodeRequest, FRAME_HEAD_BYTES, KIND_CHUNK, parseEnd, type DataRequest } from '../../src/mesh/protocol/data-wire.js';
import type { Chunk } from '../../src/mesh/protocol/frames.js';
import { meshClientConstructor } from '../../src/mesh/protocol/load.js';

export type DataWireStream = Readable & { cancel(): void };

export function dataWireStream(port: number, request: DataRequest): DataWireStream {
  const decode = meshClientConstructor().service.Fetch!.responseDeserialize as (b: Buffer) => Chunk;
  const socket = net.connect({ host: '127.0.0.1', port });
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  const stream = new Readable({
    objectMode: true,
    read: () => void socket.resume(),
    destroy: (err, done) => {
      socket.destroy();
      done(err);
    },
  }) as DataWireStream;
  stream.cancel = () => stream.destroy();
  socket.on('connect', () => socket.write(encodeRequest(request)));
  socket.on('data', (data: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    while (pending.length >= FRAME_HEAD_BYTES) {
      const length = pending.readUInt32BE(1);
      if (pending.length < FRAME_HEAD_BYTES + length) return;
      const body = pending.subarray(FRAME_HEAD_BYTES, FRAME_HEAD_BYTES + length);
      const kind = pending[0];
      pending = pending.subarray(FRAME_HEAD_BYTES + length);
      if (kind === KIND_CHUNK) {
        if (!stream.push(decode(Buffer.from(body)))) socket.pause();
        continue;
      }
      ended = true;
      const error = parseEnd(body);
      if (error) stream.destroy(Object.assign(new Error(error.message), { code: error.grpcStatus, details: `${error.code}: ${error.message}` }));
      else stream.push(null);
      socket.destroy();
      return;
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!ended) stream.destroy(Object.assign(new Error('the fetch port closed the connection'), { code: 14, details: 'closed without an end frame' }));
  });
  return stream;
}
