// The busy-port rule, pure: Node's listen error and grpc-js's folded message
// both become ADDRESS_IN_USE naming the port and the flag; nothing else does.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { addressInUse } from '../../../src/mesh/hub/address-in-use.js';

it('names the port and the flag for a taken port, from either error shape', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('--grpc (MESH_GRPC)', '--http (MESH_HTTP)'), fc.boolean(), (port, flag, grpcShape) => {
      const address = `127.0.0.1:${port}`;
      const err = grpcShape
        ? new Error(`No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use ${address}]`)
        : Object.assign(new Error(`listen EADDRINUSE: address already in use ${address}`), { code: 'EADDRINUSE' });
      const mesh = addressInUse(err, address, flag)!;
      expect(mesh.code).toBe('ADDRESS_IN_USE');
      expect(mesh.message).toContain(`port ${port}`);
      expect(mesh.message).toContain(flag);
      expect(mesh.details).toMatchObject({ port, flag });
    }),
  );
});

it('leaves every other error alone', () => {
  fc.assert(
    fc.property(fc.string(), fc.constantFrom('EACCES', 'EADDRNOTAVAIL', undefined), (message, code) => {
      fc.pre(!message.includes('EADDRINUSE'));
      expect(addressInUse(Object.assign(new Error(message), { code }), '127.0.0.1:1', '--grpc')).toBeUndefined();
    }),
  );
});
