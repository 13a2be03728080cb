// The guest link's transport per driver, as the kernel parameter the agent reads (berth.link=, see
// vm-images/agent/internal/linkserve/linkchoice.go) and the host end each driver exposes. Pure.
import type { DriverName } from './driver.ts';

/** The vsock port berth-agent listens on for HyperKit and Hyper-V (the agent's DefaultVsockPort). */
export const GUEST_LINK_VSOCK_PORT = 3047;
/** HyperKit's guest CID (guest_cid= of -s virtio-sock). */
export const HYPERKIT_GUEST_CID = 3;

/**
 * berth.link= for a driver. QEMU passes none: virtio-serial is the agent's default, so QEMU's
 * command line is what it was before drivers had parameters.
 */
export function linkKernelParams(driver: DriverName, port = GUEST_LINK_VSOCK_PORT): string[] {
  switch (driver) {
    case 'qemu':
      return [];
    case 'hyperkit':
      return [`berth.link=vsock:${port}`];
    case 'hyperv':
      return [`berth.link=hvsock:${port}`];
  }
}

/** The image's command line with the driver's parameters (an existing berth.link= is replaced). */
export function cmdlineFor(driver: DriverName, base: string, port = GUEST_LINK_VSOCK_PORT): string {
  const kept = base.split(/\s+/).filter((w) => w !== '' && !w.startsWith('berth.link='));
  return [...kept, ...linkKernelParams(driver, port)].join(' ');
}

/**
 * The unix socket HyperKit listens on for a guest_forwards port: <vsock dir>/<cid as 8 hex>.<port as
 * 8 hex> (pci_virtio_sock.c, open_one_forward_socket). berthd connects there for the guest link.
 */
export function hyperkitForwardSocket(vsockDir: string, port = GUEST_LINK_VSOCK_PORT, cid = HYPERKIT_GUEST_CID): string {
  const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
  return `${vsockDir.replace(/\/+$/, '')}/${hex8(cid)}.${hex8(port)}`;
}

/**
 * The Hyper-V service GUID a guest AF_VSOCK port is reached by: the port in the first field of the
 * vsock template 00000000-facb-11e6-bd58-64006a7986d3 (3047 → 00000be7-facb-11e6-bd58-64006a7986d3).
 */
export function hvsockServiceGuid(port = GUEST_LINK_VSOCK_PORT): string {
  if (!Number.isInteger(port) || port < 1 || port > 0xfffffffe) throw new Error(`vsock port ${port} must be a whole number from 1 to 4294967294`);
  return `${port.toString(16).padStart(8, '0')}-facb-11e6-bd58-64006a7986d3`;
}
