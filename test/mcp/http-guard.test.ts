// Host, Origin and bearer checks of the HTTP endpoint, attack by attack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedHostsFor, authModeRefusal, checkBearer, checkHost, checkOrigin } from '../../src/mcp/http-guard.js';

describe('checkHost', () => {
  const allowed = allowedHostsFor('127.0.0.1', 7421, [], []);

  it('serves the loopback names on the listening port', () => {
    for (const h of ['127.0.0.1:7421', 'localhost:7421', 'LOCALHOST:7421', '[::1]:7421']) expect(checkHost(h, allowed), h).toBeUndefined();
  });

  it('refuses rebinding names, other ports, missing and malformed Host headers', () => {
    for (const h of [undefined, '', 'evil.example', 'evil.example:7421', '127.0.0.1:80', '127.0.0.1', 'localhost:7422', '127.0.0.1:7421/x', 'user@127.0.0.1:7421', '127.0.0.1.evil.example:7421']) {
      expect(checkHost(h, allowed), String(h)).toBeDefined();
    }
  });

  it('a wildcard listener serves the machine names; extra names match any port', () => {
    const wide = allowedHostsFor('0.0.0.0', 8080, ['mesh.example.com'], ['box', '10.0.0.5', 'fe80::1']);
    for (const h of ['box:8080', '10.0.0.5:8080', '[fe80::1]:8080', 'localhost:8080', 'mesh.example.com', 'mesh.example.com:443']) expect(checkHost(h, wide), h).toBeUndefined();
    expect(checkHost('0.0.0.0:8080', wide)).toBeDefined();
    expect(checkHost('evil.example:8080', wide)).toBeDefined();
  });

  it('never serves a random name', () => {
    fc.assert(
      fc.property(fc.domain(), (d) => {
        fc.pre(d !== 'localhost');
        expect(checkHost(`${d}:7421`, allowed)).toBeDefined();
      }),
    );
  });
});

describe('checkOrigin', () => {
  const allowed = allowedHostsFor('127.0.0.1', 7421, [], []);
  it('passes requests without Origin and from the server itself', () => {
    expect(checkOrigin(undefined, allowed)).toBeUndefined();
    expect(checkOrigin('http://localhost:7421', allowed)).toBeUndefined();
    expect(checkOrigin('http://127.0.0.1:7421', allowed)).toBeUndefined();
  });
  it('refuses other sites, other local ports and opaque origins', () => {
    for (const o of ['http://evil.example', 'https://evil.example:7421', 'http://localhost:3000', 'http://localhost', 'null', 'file://', '']) {
      expect(checkOrigin(o, allowed), o).toBeDefined();
    }
  });
});

describe('checkBearer', () => {
  it('needs the exact token when one is set', () => {
    expect(checkBearer(undefined, undefined)).toBe(true);
    expect(checkBearer('Bearer s3cret', 's3cret')).toBe(true);
    expect(checkBearer('bearer s3cret', 's3cret')).toBe(true);
    for (const h of [undefined, '', 'Bearer', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer s3cret extra']) expect(checkBearer(h, 's3cret'), String(h)).toBe(false);
  });
});

describe('authModeRefusal', () => {
  it('serves without a token on loopback only, and with auth only when there is a token', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect(authModeRefusal(host, false, undefined), host).toBeUndefined();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'mesh.example']) expect(authModeRefusal(host, false, undefined), host).toMatch(/loopback address only/);
    expect(authModeRefusal('0.0.0.0', true, 'mesh_http_x')).toBeUndefined();
    expect(authModeRefusal('127.0.0.1', true, undefined)).toMatch(/needs a bearer token/);
    expect(authModeRefusal('127.0.0.1', true, '')).toMatch(/needs a bearer token/);
  });
});
