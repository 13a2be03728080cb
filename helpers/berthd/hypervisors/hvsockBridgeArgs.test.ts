// hvsock-bridge command lines: endpoints as endpoint.go parses them, and the refusals.
import { describe, expect, it } from 'vitest';
import { bridgeArgv, endpointArg, linkBridgeArgv } from './hvsockBridgeArgs.ts';

describe('hvsock-bridge argv', () => {
  it('the guest link: berthd\'s pipe to the agent\'s vsock port 3047 in the VM', () => {
    expect(linkBridgeArgv('\\\\.\\pipe\\berth_link', '9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c')).toEqual([
      '-listen', 'pipe:\\\\.\\pipe\\berth_link', '-dial', 'hvsock:9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c:3047',
    ]);
  });
  it('the Docker pipe: public pipe with a DACL, dialling berthd\'s private pipe served by berthd\'s pid', () => {
    expect(bridgeArgv({ listen: { kind: 'pipe', path: '\\\\.\\pipe\\berth_docker' }, dial: { kind: 'pipe', path: '\\\\.\\pipe\\berth-docker-1a2b' }, sddl: 'D:P(A;;GA;;;OW)', serverPid: 4242 })).toEqual([
      '-listen', 'pipe:\\\\.\\pipe\\berth_docker', '-dial', 'pipe:\\\\.\\pipe\\berth-docker-1a2b', '-sddl', 'D:P(A;;GA;;;OW)', '-dial-server-pid', '4242',
    ]);
  });
  it('refuses what the bridge would refuse, or what would be a second argument', () => {
    expect(() => endpointArg({ kind: 'pipe', path: '\\\\server\\pipe\\x' })).toThrow(/local pipe/);
    expect(() => endpointArg({ kind: 'pipe', path: '\\\\.\\pipe\\a b' })).toThrow(/local pipe/);
    expect(() => endpointArg({ kind: 'hvsock', vmId: 'not-a-guid', port: 1 })).toThrow(/GUID/);
    expect(() => endpointArg({ kind: 'hvsock', vmId: '9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c', port: 0 })).toThrow(/port/);
    expect(() => bridgeArgv({ listen: { kind: 'hvsock', vmId: '9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c', port: 1 }, dial: { kind: 'unix', path: '/x' } })).toThrow(/cannot listen/);
    expect(() => bridgeArgv({ listen: { kind: 'unix', path: '/a' }, dial: { kind: 'pipe', path: '\\\\.\\pipe\\b' } })).toThrow(/serverPid/);
    expect(() => bridgeArgv({ listen: { kind: 'unix', path: '/a' }, dial: { kind: 'unix', path: '/b' }, sddl: 'D:P -x' })).toThrow(/SDDL/);
  });
});
